"""The warm CLI daemon: commands handed to it behave exactly as commands run on their own.

One daemon serves the whole module (starting it loads every library, which takes seconds); each test runs
the real ``infragate`` console script, as a user would, with the daemon's INFRAGATE_HOME.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from infragate.cli.daemon_client import MessageReader, send_message
from tests.conftest import ROOT, WEBSHOP

SCRIPT = Path(sys.executable).parent / "infragate"  # the console script pip installed beside this Python
LEAD = "lena.lead@example.com"


def _infragate(
    home: Path, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, daemon: bool = True
) -> subprocess.CompletedProcess[str]:
    variables = {**os.environ, "INFRAGATE_HOME": str(home), **(env or {})}
    if not daemon:
        variables["INFRAGATE_DAEMON"] = "off"
    return subprocess.run(
        [str(SCRIPT), *args], env=variables, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _commands_started(home: Path) -> list[int]:
    log = (home / "daemon.log").read_text()
    return [int(pid) for pid in re.findall(r"command (\d+) started", log)]


@pytest.fixture(scope="module")
def daemon_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("dh")
    started = _infragate(home, "daemon", "start", daemon=False)
    assert started.returncode == 0, started.stderr
    yield home
    _infragate(home, "daemon", "stop", daemon=False)


def test_a_command_runs_in_the_daemon_with_the_callers_environment_and_directory(daemon_home: Path) -> None:
    before = len(_commands_started(daemon_home))
    example = WEBSHOP.parent
    assert _infragate(daemon_home, "admin", "create", "ada.admin@example.com").returncode == 0
    admin = {"INFRAGATE_USER": "ada.admin@example.com"}
    registered = _infragate(daemon_home, "project", "init", "--design", str(WEBSHOP), "--apply-members", env=admin)
    assert registered.returncode == 0, registered.stderr
    as_lead = _infragate(daemon_home, "whoami", env={"INFRAGATE_USER": LEAD})
    as_nobody = _infragate(daemon_home, "whoami", env={"INFRAGATE_USER": "nobody@example.com"})
    relative = _infragate(daemon_home, "design", "validate", "infragate.yaml", cwd=example)
    assert as_lead.returncode == 0
    assert LEAD in as_lead.stdout
    assert as_nobody.returncode == 1
    assert "nobody@example.com (not a user" in as_nobody.stderr
    assert relative.returncode == 0, relative.stderr
    assert relative.stdout == _infragate(daemon_home, "design", "validate", str(WEBSHOP), daemon=False).stdout
    assert len(_commands_started(daemon_home)) == before + 5  # all five ran in the daemon, none here


def test_exit_codes_and_errors_reach_the_caller(daemon_home: Path) -> None:
    missing = _infragate(daemon_home, "design", "validate", "no-such-design.yaml", cwd=ROOT)
    alone = _infragate(daemon_home, "design", "validate", "no-such-design.yaml", cwd=ROOT, daemon=False)
    assert missing.returncode == alone.returncode == 2
    assert missing.stderr == alone.stderr
    assert "no-such-design.yaml" in missing.stderr
    wrong_flag = _infragate(daemon_home, "plan", "--no-such-flag")
    assert wrong_flag.returncode == 2
    assert "No such option" in wrong_flag.stderr


def test_files_a_command_writes_follow_the_callers_umask(daemon_home: Path, tmp_path: Path) -> None:
    env = {**os.environ, "INFRAGATE_HOME": str(daemon_home)}
    modes = {}
    for umask in ("077", "002"):
        output = tmp_path / f"schema-{umask}.json"
        script = f"umask {umask} && exec {SCRIPT} design schema -o {output}"
        done = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        modes[umask] = output.stat().st_mode & 0o777
    assert modes == {"077": 0o600, "002": 0o664}


def _run_worker_then(daemon_home: Path, stop: signal.Signals) -> int:
    """Start `infragate worker` (it runs until Ctrl-C) through the daemon, send its caller ``stop``, and wait
    until the daemon sees the command's process end. Returns the caller's exit code."""
    env = {**os.environ, "INFRAGATE_HOME": str(daemon_home), "INFRAGATE_QUEUE_URL": ""}
    before = set(_commands_started(daemon_home))
    caller = subprocess.Popen(
        [str(SCRIPT), "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    _wait_for(lambda: set(_commands_started(daemon_home)) != before, "the worker to start")
    (worker,) = set(_commands_started(daemon_home)) - before
    assert caller.stderr is not None
    assert "worker on" in caller.stderr.readline()  # it runs (Ctrl-C stops it cleanly at any point from here)
    caller.send_signal(stop)
    caller.communicate(timeout=60)
    log = daemon_home / "daemon.log"
    _wait_for(lambda: f"command {worker} ended" in log.read_text(), "the worker to stop")
    return caller.returncode


def test_ctrl_c_reaches_the_command(daemon_home: Path) -> None:
    assert _run_worker_then(daemon_home, signal.SIGINT) == 0  # as on its own: the worker stops cleanly


def test_a_killed_caller_interrupts_its_command(daemon_home: Path) -> None:
    assert _run_worker_then(daemon_home, signal.SIGKILL) == -signal.SIGKILL


def test_the_daemon_refuses_requests_it_cannot_serve_faithfully(daemon_home: Path) -> None:
    def ask(request: dict[str, object], fds: list[int] | None) -> dict[str, object] | None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.connect(str(daemon_home / "daemon.sock"))
            send_message(connection, request, fds=fds)
            return MessageReader(connection).read()

    request = {"argv": ["infragate", "--version"], "cwd": str(ROOT), "env": {}, "executable": "/other/python"}
    another_python = ask(request, [0, 1, 2])
    assert another_python is not None and "another Python" in str(another_python["refused"])
    no_terminal = ask({**request, "executable": sys.executable}, None)
    assert no_terminal == {"refused": "incomplete request"}
    assert _infragate(daemon_home, "daemon", "status").returncode == 0  # still serving


def test_without_a_listening_daemon_commands_run_on_their_own(tmp_path: Path) -> None:
    home = tmp_path / "stale"
    home.mkdir()
    leftover = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    leftover.bind(str(home / "daemon.sock"))  # a socket file nobody listens on, as after a crash
    leftover.close()
    done = _infragate(home, "--version")
    assert done.returncode == 0
    assert done.stdout.startswith("infragate ")


def test_an_idle_daemon_stops_by_itself(tmp_path: Path) -> None:
    home = tmp_path / "idle"
    started = _infragate(home, "daemon", "start", "--idle-timeout", "1", daemon=False)
    assert started.returncode == 0, started.stderr
    _wait_for(lambda: not (home / "daemon.sock").exists(), "the idle daemon to stop")
    status = _infragate(home, "daemon", "status")
    assert status.returncode == 1
    assert "not running" in status.stdout
