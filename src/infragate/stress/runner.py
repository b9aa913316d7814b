"""Running Locust: a headless master and N workers as subprocesses on this machine (or a master that waits for
workers started elsewhere with ``infragate stress worker``), progress from the master's file every second,
and Ctrl-C that stops the run cleanly and keeps what was measured."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import ValidationError

from infragate.errors import UsageError
from infragate.extras import require
from infragate.stress.results import StressResults
from infragate.stress.scenario import Scenario
from infragate.stress.userfile import digest

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
GRACE_S = 30.0  # after the scenario's last stage: time to stop and report


class StressError(UsageError):
    """Locust could not run or report (its log says why)."""

    code = "stress"


@dataclass(frozen=True)
class Measured:
    results: StressResults
    interrupted: bool
    workers: int
    warnings: tuple[str, ...] = ()  # what Locust itself warned of while it ran (from its log)


def prepare(
    scenario: Scenario, folder: Path, master_host: str = "127.0.0.1", extra_env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Write the run's locustfile and scenario into ``folder``; the environment Locust's processes need (with
    ``extra_env`` on top: bench/stress.py runs raw Locust beside infragate's recording this way)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(LOCUSTFILE, folder / "locustfile.py")
    if scenario.locustfile is not None:
        scenario = replace(scenario, locustfile=str(_copy_user_locustfile(scenario, folder)))
    (folder / "scenario.json").write_text(json.dumps(scenario.to_json(), indent=2))
    return {
        **os.environ,
        "INFRAGATE_STRESS_SCENARIO": str(folder / "scenario.json"),
        "INFRAGATE_STRESS_RESULTS": str(folder / "results.json"),
        "INFRAGATE_STRESS_PROGRESS": str(folder / "progress.json"),
        "INFRAGATE_STRESS_MASTER": master_host,
        "PYTHONWARNINGS": "ignore",
        **(extra_env or {}),
    }


def _copy_user_locustfile(scenario: Scenario, folder: Path) -> Path:
    """The user's locustfile, copied beside the run's results: what runs is that copy, and only when it is the
    content the plan was made (and, for production, approved) with."""
    assert scenario.locustfile is not None
    copy = folder / "user_locustfile.py"
    try:
        shutil.copy(scenario.locustfile, copy)
    except OSError as exc:
        raise StressError(f"could not read {scenario.locustfile}: {exc.strerror}", hint="Check the path.") from None
    if digest(copy.read_bytes()) != scenario.locustfile_sha256:
        copy.unlink()
        raise StressError(
            f"{scenario.locustfile} changed after its stress plan was made",
            hint="Run the stress test again (production: a lead approves the new plan first).",
        )
    return copy


def _locust(folder: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "locust", "-f", str(folder / "locustfile.py"), *args]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(
    scenario: Scenario,
    folder: Path,
    *,
    workers: int,
    remote_workers: int = 0,
    bind: str = "127.0.0.1",
    port: int | None = None,
    progress: Callable[[dict[str, float]], None] | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Measured:
    """Run the scenario: a master expecting ``workers`` local and ``remote_workers`` remote workers."""
    require("locust")  # Locust runs as processes of its own: the 'stress' extra
    env = prepare(scenario, folder, extra_env=extra_env)
    port = port or _free_port()
    expected = workers + remote_workers
    if expected < 1:
        raise UsageError("a stress test needs at least one worker", hint="Pass --workers 1 or more.")
    log = (folder / "locust.log").open("ab")
    common: tuple[str, ...] = (
        "--headless",
        "--run-time",
        f"{int(scenario.duration_s + GRACE_S)}s",
        "--stop-timeout",
        "5",
        "--loglevel",
        "WARNING",
        "--only-summary",
    )
    single = workers == 1 and remote_workers == 0
    if single:
        # One local worker runs in one process (Locust's own single-process mode): no master/worker protocol,
        # so no heartbeat a busy machine can make it miss (locust issue 3043: a worker that handles its spawn
        # message late is dropped, and the run ends with nothing sent).
        arguments = common
    else:
        arguments = (
            *common,
            "--master",
            "--master-bind-host",
            bind,
            "--master-bind-port",
            str(port),
            "--expect-workers",
            str(expected),
            "--expect-workers-max-wait",
            "60",
        )
    master = subprocess.Popen(
        _locust(folder, *arguments),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C reaches infragate only; it stops Locust gracefully (SIGTERM)
    )
    local = [
        subprocess.Popen(
            _locust(
                folder, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port), "--loglevel", "WARNING"
            ),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(0 if single else workers)
    ]
    interrupted = False
    deadline = time.monotonic() + scenario.duration_s + GRACE_S + 90
    try:
        while master.poll() is None:
            if time.monotonic() > deadline:
                raise StressError("the stress test did not end in time", hint=f"See {folder / 'locust.log'}.")
            if progress is not None:
                _report(folder / "progress.json", progress)
            time.sleep(0.5)
    except KeyboardInterrupt:
        interrupted = True  # stop cleanly: the master writes what was measured when it quits
    finally:
        if master.poll() is None:
            master.send_signal(signal.SIGTERM)
            try:
                master.wait(timeout=30)
            except subprocess.TimeoutExpired:
                master.kill()
        for worker in local:
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
        log.close()
    results = folder / "results.json"
    partial = folder / "results.json.partial"
    if not results.is_file() and interrupted and partial.is_file():
        results = partial  # stopped before Locust wrote its last word: what it had measured until then
    if not results.is_file():
        tail = (folder / "locust.log").read_text(errors="replace")[-1200:].strip()
        raise StressError("Locust ended without results", hint=f"Its log ends with: {tail or '(nothing)'}")
    try:
        measured = StressResults.model_validate_json(results.read_text())
    except ValidationError as wrong:
        raise StressError(
            f"Locust's results in {results} are not what infragate's locustfile writes "
            f"({wrong.error_count()} problems)",
            hint=f"See {folder / 'locust.log'}.",
        ) from None
    return Measured(measured, interrupted, expected, locust_warnings(folder / "locust.log"))


def locust_warnings(log: Path, most: int = 10) -> tuple[str, ...]:
    """Locust's own warnings and errors in its log (a worker missing, a user that raised…), at most ``most``
    distinct ones: a run that measured little says why in infragate's output, not only in the log file."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return ()
    found = [line.split("/", 1)[-1].strip() for line in lines if "/WARNING/" in line or "/ERROR/" in line]
    return tuple(dict.fromkeys(found))[:most]


def _report(path: Path, progress: Callable[[dict[str, float]], None]) -> None:
    with contextlib.suppress(OSError, ValueError):  # not written yet, or mid-write
        progress(json.loads(path.read_text()))


def worker(scenario: Scenario, folder: Path, master: str) -> int:
    """A worker for a master on another machine (``HOST:PORT``), until the master stops it."""
    host, _, port = master.rpartition(":")
    if not host or not port.isdigit():
        raise UsageError(f"--master is '{master}'", hint="Give the master's address as HOST:PORT.")
    env = prepare(scenario, folder, host)
    process = subprocess.run(
        _locust(folder, "--worker", "--master-host", host, "--master-port", port), env=env, check=False
    )
    return process.returncode
