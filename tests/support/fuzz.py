"""A seeded mutation corpus of design files: the compliant and insecure examples, broken in the ways
people and attackers break YAML (lines lost or repeated, indentation shifted, values replaced by hostile
tokens, aliases and merge keys, bad dates and tags, truncation). Used by the fuzz test and bench/fuzz_design.py.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

from typer.testing import CliRunner

from infragate.cli.exit_codes import ExitCode, exit_code_for
from infragate.cli.main import app
from infragate.errors import InfragateError

HOSTILE = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "hostile").glob("*.yaml"))

HOSTILE_TOKENS = (
    "*a", "&a", "&a [*a]", "<<: *a", "!!int abc", "!!float x", "!!binary ###", "!!timestamp x", "2020-02-30",
    "2020-01-01 25:00:00", "0000-01-01", "!!python/object/apply:os.system ['id']", "!vault x", "~", "null",
    "[", "]", "{", "}", "- ", ": ", "'", '"', "\t", "0x1F", "1e9999", "-1", "''", "true", "../x", "/etc/passwd",
    "é", "\u202e", "?", "|", ">", "%YAML 1.1", "---", "...", "!!int " + "9" * 5000, "x" * 300, "[[[[[[[[",
    "{a: *a}", "*undefined", "0.0.0.0/1", "::/0", "-1-65536", "all", "@", "TBD",
)  # fmt: skip


def _mutate(lines: list[str], rng: random.Random) -> list[str]:
    if not lines:
        return ["x"]
    index = rng.randrange(len(lines))
    kind = rng.randrange(8)
    out = list(lines)
    if kind == 0:
        del out[index]
    elif kind == 1:
        out.insert(index, out[index])
    elif kind == 2:
        other = rng.randrange(len(out))
        out[index], out[other] = out[other], out[index]
    elif kind == 3:
        out[index] = (" " * rng.choice((1, 2, 4))) + out[index] if rng.random() < 0.5 else out[index].lstrip()
    elif kind == 4:
        words = out[index].split(" ")
        words[rng.randrange(len(words))] = rng.choice(HOSTILE_TOKENS)
        out[index] = " ".join(words)
    elif kind == 5:
        line = out[index]
        cut = rng.randrange(len(line) + 1)
        out[index] = line[:cut] + rng.choice(HOSTILE_TOKENS) + line[cut:]
    elif kind == 6:
        out = out[:index]
    else:
        line = out[index]
        if line:
            at = rng.randrange(len(line))
            out[index] = line[:at] + chr(rng.randrange(32, 0x2FF)) + line[at + 1 :]
    return out


def mutants(seeds: list[str], count: int, seed: int = 20261127) -> Iterator[tuple[str, str]]:
    """``count`` (name, text) pairs, the same every run for the same seed."""
    rng = random.Random(seed)
    for number in range(count):
        lines = rng.choice(seeds).splitlines()
        for _ in range(rng.randint(1, 3)):
            lines = _mutate(lines, rng)
        yield f"mutant-{number:04d}", "\n".join(lines) + "\n"


def validate_in_process(runner: CliRunner, path: Path) -> int:
    """The exit code ``infragate design validate PATH`` would give, run in this process."""
    result = runner.invoke(app, ["design", "validate", str(path), "--format", "json"])
    error = result.exception
    if error is None or isinstance(error, SystemExit):
        return result.exit_code
    return exit_code_for(error) if isinstance(error, InfragateError) else ExitCode.INTERNAL
