"""Benchmark: provisioning the webshop example on embedded AWS.

Prints, on a fresh embedded account:
- the time of `infragate apply --env staging` for the whole example, end to end (a new process);
- the time of a no-op `infragate plan` right after it (target: under 1 s): as a process on its own, as a
  process handed to the warm CLI daemon (`infragate daemon start`), and in-process;
- the time of the same apply with 100 ms of latency injected into every AWS call, at --parallelism 1 and
  at the default (8), to show what running independent changes in parallel saves.
Asserts nothing about time.

    python bench/provision.py [--repeat 3] [--latency 0.1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from infragate.aws import AwsConnection, AwsTargetSpec, EmbeddedAws
from infragate.design import load_design
from infragate.provision import service

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "webshop" / "infragate.yaml"
ENV = "staging"


SCRIPT = Path(sys.executable).parent / "infragate"  # the console script, as a user runs it


def run_cli(home: Path, *args: str, daemon: bool = False) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [str(SCRIPT), *args, "--env", ENV, "-d", str(EXAMPLE)],
        env={**os.environ, "INFRAGATE_HOME": str(home), "INFRAGATE_DAEMON": "on" if daemon else "off"},
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise SystemExit(f"infragate {' '.join(args)} failed ({result.returncode}): {result.stderr}")
    return elapsed


def apply_with_latency(endpoint: str, latency: float, parallelism: int) -> float:
    design = load_design(EXAMPLE)
    connection = AwsConnection(AwsTargetSpec(region="eu-west-1", endpoint_url=endpoint))

    def slow(**_: Any) -> None:
        time.sleep(latency)

    connection.register("before-send", slow)
    snapshot = service.read_live(connection, design, ENV)
    plan = service.make_plan(design, ENV, snapshot)
    started = time.perf_counter()
    result = service.apply(plan, connection, design, snapshot, parallelism=parallelism)
    elapsed = time.perf_counter() - started
    if not result.succeeded:
        raise SystemExit(f"apply failed: {[(o.change.key, o.message) for o in result.outcomes if not o.status.ok]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added to every AWS call")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="infragate-bench-") as directory:
        home = Path(directory)
        daemon = EmbeddedAws(home)
        endpoint = daemon.ensure()
        try:
            applies = []
            for _ in range(args.repeat):
                daemon.reset()
                applies.append(run_cli(home, "apply", "--auto-approve"))
            print(
                f"apply webshop/{ENV} (22 changes), process: median {statistics.median(applies):.2f} s "
                f"(runs: {', '.join(f'{t:.2f}' for t in applies)})"
            )

            plans = [run_cli(home, "plan") for _ in range(args.repeat)]
            print(
                f"no-op plan, process:      median {statistics.median(plans):.2f} s (on its own; "
                f"runs: {', '.join(f'{t:.2f}' for t in plans)})"
            )
            subprocess.run(
                [str(SCRIPT), "daemon", "start"], env={**os.environ, "INFRAGATE_HOME": str(home)}, check=True
            )
            try:
                warm = [run_cli(home, "plan", daemon=True) for _ in range(max(args.repeat, 5))]
            finally:
                subprocess.run([str(SCRIPT), "daemon", "stop"], env={**os.environ, "INFRAGATE_HOME": str(home)})
            print(
                f"no-op plan, process, daemon: median {statistics.median(warm):.2f} s (target < 1 s; "
                f"runs: {', '.join(f'{t:.2f}' for t in warm)})"
            )
            design = load_design(EXAMPLE)
            connection = AwsConnection(AwsTargetSpec(region="eu-west-1", endpoint_url=endpoint))
            in_process = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                plan = service.make_plan(design, ENV, service.read_live(connection, design, ENV))
                in_process.append(time.perf_counter() - started)
                assert not plan.pending, "the plan after apply should be a no-op"
            print(f"no-op plan, in-process:   median {statistics.median(in_process):.2f} s (inventory + diff)")

            for parallelism in (1, 8):
                daemon.reset()
                elapsed = apply_with_latency(endpoint, args.latency, parallelism)
                print(f"apply with {args.latency * 1000:.0f} ms per call, --parallelism {parallelism}: {elapsed:.2f} s")
        finally:
            daemon.stop()


if __name__ == "__main__":
    main()
