"""Benchmark: how well and how fast infragate scans (ICP-4.1), against the deliberately vulnerable application
of the tests (tests/support/vulnerable_app.py: its ground truth lists every flaw by path, parameter and CWE,
and as many safe look-alikes), served over HTTPS on 127.0.0.1.

1. The builtin engine (infragate's own checks + wapiti with the profile's modules, through the scope proxy):
   recall, decoys flagged, time. Targets: recall >= 95%, 0 decoys, time <= wapiti alone.
2. wapiti alone with its default modules (also through the scope proxy, so nothing leaves 127.0.0.1: its
   ssrf module would otherwise call wapiti's server on the internet): the same figures.

Asserts nothing about time; prints the figures.

    python bench/scan.py [--profile quick|standard|full] [--tools DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.support.servers import free_port  # noqa: E402
from tests.support.vulnerable_app import DECOYS, VULNERABILITIES, vulnerable_app  # noqa: E402
from tests.support.workloads import HOST, certificates  # noqa: E402

from infragate.infratest.scope import Scope  # noqa: E402
from infragate.model.testing import Endpoint  # noqa: E402
from infragate.scan import wapiti  # noqa: E402
from infragate.scan.proxy import ScopeProxy  # noqa: E402
from infragate.scan.runner import ScanLimits, ScanPlan, run_scan  # noqa: E402

BASE = f"https://{HOST}/"


def figures(label: str, found: set[tuple[str, str, int]], seconds: float) -> None:
    truth = {(v.path, v.parameter, v.cwe) for v in VULNERABILITIES}
    decoy_paths = {decoy.split(" ")[0].split("?")[0] for decoy in DECOYS}
    hits = truth & found
    flagged = sorted({path for path, _, _ in found} & decoy_paths)
    missed = sorted(f"{p} {q} CWE-{c}" for p, q, c in truth - found)
    print(
        f"{label:<34} recall {len(hits)}/{len(truth)} = {len(hits) / len(truth):6.1%}   decoys flagged "
        f"{len(flagged)}/{len(DECOYS)}   {seconds:6.1f} s"
    )
    if missed:
        print(f"{'':34} missed: {', '.join(missed)}")
    if flagged:
        print(f"{'':34} decoys flagged: {', '.join(flagged)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="standard", choices=sorted(wapiti.PROFILES))
    parser.add_argument("--tools", type=Path, default=None, help="where wapiti is (or gets) installed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        tools = args.tools or Path(os.environ.get("INFRAGATE_TOOLS") or folder / "tools")
        program = wapiti.install(tools, print)
        ca, cert, key = certificates(folder / "certs")
        port = free_port()
        with vulnerable_app(port, certfile=cert, keyfile=key):
            endpoint = Endpoint(url=BASE, resolve=f"127.0.0.1:{port}")  # type: ignore[arg-type]
            scope = Scope.of("bench", (endpoint,), frozenset(), embedded=True)
            plan = ScanPlan(
                "bench", (BASE,), scope, ca, "builtin", args.profile, ScanLimits(rate=500), tools, folder / "builtin"
            )
            started = time.perf_counter()
            report = run_scan(plan)
            builtin_s = time.perf_counter() - started
            found = {(urlsplit(f.url).path, f.parameter, f.cwe or 0) for f in report.findings}

            started = time.perf_counter()
            with ScopeProxy(scope, max_requests=1_000_000, deadline_s=3600) as proxy:
                findings = wapiti.run(program, BASE, proxy.url, None, folder / "alone", 3600)
            alone_s = time.perf_counter() - started
            found_alone = {(urlsplit(f.url).path, f.parameter, f.cwe or 0) for f in findings}
    print(f"the vulnerable application: {len(VULNERABILITIES)} flaws, {len(DECOYS)} decoys, over HTTPS on 127.0.0.1")
    figures(f"infragate builtin ({args.profile})", found, builtin_s)
    figures("wapiti alone (default modules)", found_alone, alone_s)
    print(f"time: builtin / wapiti alone = {builtin_s / alone_s:.2f} (target <= 1)")


if __name__ == "__main__":
    main()
