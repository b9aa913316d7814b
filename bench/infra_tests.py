"""Benchmark: the example's infrastructure tests (all areas) against its local workload.

Starts the webshop example's workload (pinned to free ports, in a temporary home), then measures
  1. `infragate test --env staging` as a whole process (start-up, HTTP, TLS with SSLyze, cases, recording),
  2. the checks alone, run concurrently and one after another, to show what concurrency buys.
Prints the figures; the target for (1) is under 5 s. Asserts nothing about time.

    python bench/infra_tests.py [--repeat 5] [--cases 40]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from common import free_port  # bench/ is on the path when a script runs

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "webshop"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cases", type=int, default=0, help="add N more declared cases (more to run at once)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="infragate-test-bench-") as directory:
        folder = Path(directory)
        shutil.copytree(EXAMPLE / "app", folder / "app")
        data = yaml.safe_load((EXAMPLE / "infragate.yaml").read_text())
        endpoint = data["environments"]["staging"]["endpoints"][0]
        endpoint |= {"resolve": f"127.0.0.1:{free_port()}", "resolve_http": f"127.0.0.1:{free_port()}"}
        cases = data["environments"]["staging"]["tests"]
        cases += [{**cases[index % len(cases)], "name": f"extra case {index}"} for index in range(args.cases)]
        design = folder / "infragate.yaml"
        design.write_text(yaml.safe_dump(data, sort_keys=False))
        env = {
            **os.environ,
            "INFRAGATE_HOME": str(folder / "home"),
            "INFRAGATE_DAEMON": "off",
            "INFRAGATE_SERVER": "off",
        }
        env.pop("INFRAGATE_DATABASE_URL", None)
        infragate = [sys.executable, "-m", "infragate"]
        subprocess.run([*infragate, "workload", "start", "--env", "staging", "-d", str(design)], env=env, check=True)
        try:
            whole = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                done = subprocess.run(
                    [*infragate, "test", "--env", "staging", "-d", str(design), "--format", "json"],
                    env=env,
                    capture_output=True,
                    check=False,
                )
                whole.append(time.perf_counter() - started)
                if done.returncode != 0:
                    print(done.stderr.decode()[-500:])
            print(
                f"infragate test --env staging (whole process, {args.repeat} runs): median "
                f"{statistics.median(whole):.2f} s, best {min(whole):.2f} s (target < 5 s)"
            )
            os.environ.update(env)
            from infragate.design import load_design
            from infragate.workflow.context import Caller, open_unit_of_work
            from infragate.workflow.infra_testing import InfraTesting, TestOptions
            from infragate.workflow.project import ProjectWork

            uow = open_unit_of_work()
            work = ProjectWork(uow, load_design(design), Caller("bench"))
            testing = InfraTesting(work, uow.settings, "staging")
            testing.run(TestOptions())  # warm: imports, SSLyze's trust stores
            timings: dict[bool, list[float]] = {False: [], True: []}
            for _ in range(args.repeat):
                for sequential in (False, True):
                    report = testing.run(TestOptions(), sequential=sequential)
                    timings[sequential].append(report.duration_ms)
            together, apart = statistics.median(timings[False]), statistics.median(timings[True])
            print(
                f"checks alone ({len(report.results)} results): concurrent median {together:.0f} ms, "
                f"one after another {apart:.0f} ms: {apart / together:.1f}x"
            )
        finally:
            subprocess.run(
                [*infragate, "workload", "stop", "--env", "staging", "-d", str(design)], env=env, check=False
            )


if __name__ == "__main__":
    main()
