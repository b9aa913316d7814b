"""Hostile and broken design files: every one exits 0, 1 or 2 with a located message, quickly; never an
internal error (exit 4), never a hang. Fixtures in tests/fixtures/hostile go through the real command; a
seeded mutation corpus of the examples goes through the same command in-process (CliRunner)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from infragate.cli.exit_codes import ExitCode
from tests.conftest import INSECURE, ROOT, WEBSHOP
from tests.support.cli import run_infragate
from tests.support.fuzz import HOSTILE, mutants, validate_in_process

HANG_GUARD_S = 20  # a hang detector, not a performance target: bench/fuzz_design.py reports the timings
MUTANTS = 1500


@pytest.mark.parametrize("path", HOSTILE, ids=[p.stem for p in HOSTILE])
def test_hostile_files_are_refused_with_a_located_message(path: Path, tmp_path: Path) -> None:
    result = run_infragate(tmp_path, "design", "validate", str(path), timeout=HANG_GUARD_S)
    assert result.returncode == ExitCode.USAGE, result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert f"{path}:" in result.stderr or path.stem == "not-a-mapping", "the message names the file and line"


def test_names_that_would_become_paths_are_refused_where_they_are_defined(tmp_path: Path) -> None:
    for stem in ("env-path", "absolute-env", "component-path"):
        result = run_infragate(tmp_path, "design", "validate", str(ROOT / f"tests/fixtures/hostile/{stem}.yaml"))
        assert "not a valid" in result.stderr and (":3:" in result.stderr or ":4:" in result.stderr), result.stderr


@pytest.fixture
def hang_guard() -> Iterator[None]:
    def expire(*_: object) -> None:
        raise TimeoutError(f"one input took more than {HANG_GUARD_S} s: a hang")

    previous = signal.signal(signal.SIGALRM, expire)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_a_seeded_mutation_corpus_never_crashes_or_hangs(tmp_path: Path, hang_guard: None) -> None:
    runner = CliRunner()
    seeds = [WEBSHOP.read_text(), INSECURE.read_text()]
    codes: dict[int, list[str]] = {}
    for name, text in mutants(seeds, MUTANTS):
        path = tmp_path / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        signal.alarm(HANG_GUARD_S)
        codes.setdefault(validate_in_process(runner, path), []).append(name)
        signal.alarm(0)
    assert set(codes) <= {ExitCode.OK, ExitCode.FINDINGS, ExitCode.USAGE}, {c: n[:5] for c, n in codes.items()}
    assert len(codes.get(ExitCode.USAGE, [])) > MUTANTS // 4, "the corpus really breaks files"
    assert codes.get(ExitCode.FINDINGS), "and some mutants still load and are judged"
