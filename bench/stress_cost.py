"""Benchmark: what infragate's recording costs per request, counted in instructions (ICP-3.3, issue 14).

bench/stress.py measures requests/s, which on a shared virtual machine moves by 15-20% from one run to the
next for the same code. Instructions do not: this script drives the generated locustfile's HTTP client (the
same geventhttpclient session Locust's FastHttpUser uses) for a fixed number of requests under Valgrind, with
and without infragate's additions (the wire clock's timed socket, the request listener and the
appends to the batches), and prints the user-space instructions per request of each. The
difference between a run of N and one of N + 2000 requests leaves start-up out. The kernel's share (the
receive timestamp's ancillary data) is not counted; bench/stress.py's side-by-side figure includes it.

It counts against two servers: nginx, whose answers arrive just before or just after the client's read (so
the count moves by about 2% between runs), and a server that answers 5 ms late, so that every read waits in
gevent's hub as it does on a busy generator (the count moves by about 0.1%).

The batches' conversion into HdrHistograms (when a worker reports) costs per distinct response time, and
under Valgrind nearly every time is distinct (it slows the client fifty-fold, not the server), so that cost
is measured natively instead, on 20,000 requests' real times, beside the CPU time of the requests.

    python bench/stress_cost.py [--requests 2000]      (needs valgrind and nginx: apt-get install valgrind nginx)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import free_port, listening
from stress import nginx, scenario

ROOT = Path(__file__).resolve().parents[1]
LOCUSTFILE = ROOT / "src" / "infragate" / "stress" / "locustfile.py"

# Runs in its own process (gevent patches the standard library): REQUESTS requests, one after another (with
# more users at once, how often a read finds its bytes already there depends on timing, and so does the count).
DRIVER = """
from gevent import monkey; monkey.patch_all()
import importlib.util, os, sys, time
import gevent
raw, requests, folder = sys.argv[1] == "raw", int(sys.argv[2]), sys.argv[3]
os.environ.update(INFRAGATE_STRESS_SCENARIO=folder + "/scenario.json", INFRAGATE_STRESS_RAW="1" if raw else "0")
spec = importlib.util.spec_from_file_location("generated", sys.argv[4])
generated = importlib.util.module_from_spec(spec); spec.loader.exec_module(generated)
from locust.contrib.fasthttp import FastHttpSession
from locust.event import Events
events = Events()
if not raw:
    events.request.add_listener(generated._on_request)
generated.WINDOW_S = 1e9  # one window: valgrind's slowness must not make more of them (windows are seconds)
sessions = [FastHttpSession(generated.SCENARIO["base_url"], events.request, None, insecure=False,
    ssl_context_factory=generated._tls_context)]
def user(session):
    for _ in range(requests):
        session.request("GET", generated.REQUESTS[0]["path"], name=generated.REQUESTS[0]["name"])
began = time.process_time()
gevent.joinall([gevent.spawn(user, session) for session in sessions])
took = time.process_time() - began
if os.environ.get("CONVERSION"):  # natively only: under valgrind every response time is distinct
    distinct = sum(len(set(batch.times)) for batch in generated.RECORDER.pending.values())
    began = time.process_time()
    generated.RECORDER.export()  # the batches become HdrHistograms, as every report to the master does
    print(took / requests * 1e6, (time.process_time() - began) / requests * 1e6, distinct)
"""


def instructions(arm: str, requests: int, folder: Path) -> int:
    """User-space instructions of one driver run (valgrind's instruction count)."""
    done = subprocess.run(
        [
            "valgrind",
            "--tool=cachegrind",
            "--cache-sim=no",
            "--cachegrind-out-file=/dev/null",
            sys.executable,
            "-c",
            DRIVER,
            arm,
            str(requests),
            str(folder),
            str(LOCUSTFILE),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"the driver failed under valgrind:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def conversion(folder: Path) -> tuple[float, float, int]:
    """Natively: CPU µs per request of the request loop, and of converting its batches; distinct times."""
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, "infragate", "20000", str(folder), str(LOCUSTFILE)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "CONVERSION": "1", "PYTHONWARNINGS": "ignore"},
    )
    if done.returncode != 0:
        raise SystemExit(f"the driver failed:\n{done.stderr[-2000:]}")
    loop, convert, distinct = done.stdout.split()
    return float(loop), float(convert), int(distinct)


# An HTTP/1.1 server that answers every request 5 ms after it arrived: the client's read never finds its bytes
# there yet, so every request takes the same path (a read that would block, a wait in the hub, the read again)
# and the count moves by about 0.1% between runs, where nginx's answers arrive just before or just after the
# read and the count moves by about 2%.
WAITING_SERVER = """
import asyncio, sys
ANSWER = b"HTTP/1.1 200 OK\\r\\nContent-Length: 100\\r\\nContent-Type: text/html\\r\\n\\r\\n" + b"x" * 100
async def answer(reader, writer):
    try:
        while True:
            await reader.readuntil(b"\\r\\n\\r\\n")
            await asyncio.sleep(0.005)
            writer.write(ANSWER)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()
async def main():
    server = await asyncio.start_server(answer, "127.0.0.1", int(sys.argv[1]))
    async with server:
        await server.serve_forever()
asyncio.run(main())
"""


def waiting_server() -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", WAITING_SERVER, str(port)])
    return listening(process, port, "the waiting server")


def aim(port: int, folder: Path) -> None:
    """The driver's scenario: bench/stress.py's, against the server on ``port``."""
    (folder / "scenario.json").write_text(json.dumps(scenario(port, 10, 100, 1.0, "/index.html").to_json()))


def per_request(port: int, folder: Path, requests: int) -> dict[str, float]:
    """Instructions per request of each arm against the server on ``port``."""
    aim(port, folder)
    counts = {}
    for arm in ("raw", "infragate"):
        small = instructions(arm, 200, folder)
        large = instructions(arm, 200 + requests, folder)
        counts[arm] = (large - small) / requests
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="requests counted (beyond the first 200)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    with tempfile.TemporaryDirectory(prefix="infragate-stress-cost-") as directory:
        folder = Path(directory)
        servers = [nginx(folder), waiting_server()]
        try:
            labels = ("nginx (a read may find its bytes there)", "a server answering after 5 ms (every read waits)")
            for label, (_, port) in zip(labels, servers, strict=True):
                counts = per_request(port, folder, args.requests)
                added = counts["infragate"] - counts["raw"]
                print(
                    f"{label}: raw {counts['raw']:,.0f}, infragate {counts['infragate']:,.0f} instructions per "
                    f"request; infragate adds {added:,.0f} ({added / counts['raw']:.1%}): requests/s at equal speed "
                    f"{counts['raw'] / counts['infragate']:.3f} of raw Locust's",
                    flush=True,
                )
            aim(servers[0][1], folder)  # nginx again, for the conversion
            loop, convert, distinct = conversion(folder)
        finally:
            for process, _ in servers:
                process.terminate()
                process.wait(timeout=10)
    print(
        f"natively, 20,000 requests: {loop:.1f} µs of CPU each, and {convert:.2f} µs each to convert their batches "
        f"into HdrHistograms ({distinct:,} distinct response times)"
    )


if __name__ == "__main__":
    main()
