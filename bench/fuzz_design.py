"""Fuzz figures for the design loader: a seeded mutation corpus of the examples through `design validate`
(in-process, the same command a user runs), plus the hostile fixtures. Prints inputs tried, exit codes,
and the slowest input; asserts nothing about time.

    python bench/fuzz_design.py [--inputs 3000] [--seed 20261127]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.fuzz import HOSTILE, mutants, validate_in_process  # noqa: E402
from typer.testing import CliRunner  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inputs", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=20261127)
    args = parser.parse_args()
    seeds = [(ROOT / "examples" / name / "infragate.yaml").read_text() for name in ("webshop", "insecure")]
    runner = CliRunner()
    codes: Counter[int] = Counter()
    timings: list[tuple[float, str]] = []
    with tempfile.TemporaryDirectory() as folder:
        inputs = [(n, t) for n, t in mutants(seeds, args.inputs, args.seed)]
        inputs += [(p.stem, p.read_text(encoding="utf-8", errors="surrogateescape")) for p in HOSTILE]
        for name, text in inputs:
            path = Path(folder) / f"{name}.yaml"
            path.write_text(text, encoding="utf-8", errors="surrogateescape")
            start = time.perf_counter()
            code = validate_in_process(runner, path)
            codes[code] += 1
            if code == 4:
                print(f"internal error on {name}: kept in {ROOT / 'fuzz-crash.yaml'}")
                (ROOT / "fuzz-crash.yaml").write_text(text, encoding="utf-8", errors="surrogateescape")
            timings.append((time.perf_counter() - start, name))
    timings.sort(reverse=True)
    total = sum(codes.values())
    print(f"inputs tried: {total} ({args.inputs} mutants, seed {args.seed}, {len(HOSTILE)} hostile fixtures)")
    print("exit codes:   " + ", ".join(f"{code}: {count}" for code, count in sorted(codes.items())))
    print(f"internal errors (exit 4): {codes.get(4, 0)}")
    median = timings[len(timings) // 2][0] * 1000
    print(f"slowest input: {timings[0][1]} {timings[0][0] * 1000:.0f} ms; median {median:.1f} ms")
    print("slowest five: " + ", ".join(f"{name} {seconds * 1000:.0f} ms" for seconds, name in timings[:5]))


if __name__ == "__main__":
    main()
