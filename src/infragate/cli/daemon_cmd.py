"""``infragate daemon …``: the warm CLI daemon that makes short commands start in a fraction of the time."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import typer

from infragate.cli.console import err, out
from infragate.cli.daemon_client import socket_path
from infragate.cli.daemon_server import LOG_NAME, STATE_NAME
from infragate.cli.exit_codes import ExitCode
from infragate.errors import UsageError
from infragate.processes import alive
from infragate.settings import load_settings

app = typer.Typer(
    help=(
        "The warm CLI daemon: keeps infragate's libraries and AWS service models loaded, so commands in this "
        "INFRAGATE_HOME start in a fraction of the time.\n\n"
        "A no-op plan takes under a second instead of several. Commands use the daemon when it runs and behave "
        "exactly as without it (same terminal, directory, environment, exit codes; Ctrl-C reaches them). It "
        "stops when idle, when infragate is reinstalled, or on `infragate daemon stop`; INFRAGATE_DAEMON=off "
        "bypasses it."
    ),
    no_args_is_help=True,
)

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
SOCKET_PATH_MAX = 107  # sockaddr_un.sun_path on Linux, less the terminating NUL


@dataclass(frozen=True)
class DaemonState:
    running: bool
    pid: int | None = None
    started_at: float | None = None


def _home() -> Path:
    return load_settings().home


def _state(home: Path) -> DaemonState:
    try:
        recorded = json.loads((home / STATE_NAME).read_text())
        pid, started_at = int(recorded["pid"]), float(recorded["started_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return DaemonState(False)
    running = alive(pid) and socket_path(home).is_socket()
    return DaemonState(running, pid, started_at)


@app.command("start")
def start(
    idle_timeout: int = typer.Option(
        3 * 3600, "--idle-timeout", min=1, help="Stop after this many seconds without a command."
    ),
) -> None:
    """Start the daemon in the background (or say it already runs).

    It stops by itself when idle or when infragate is reinstalled or edited, and on `infragate daemon stop`.

    Example:

      infragate daemon start && infragate plan --env staging
    """
    home = _home()
    path = socket_path(home)
    if len(str(path)) > SOCKET_PATH_MAX:
        raise UsageError(
            f"the daemon's socket path would be {len(str(path))} characters long ({path})",
            hint=f"Unix sockets allow {SOCKET_PATH_MAX}: point INFRAGATE_HOME at a shorter directory.",
        )
    current = _state(home)
    if current.running:
        out.print(f"the infragate daemon is already running (pid {current.pid})")
        return
    home.mkdir(parents=True, exist_ok=True)
    with (home / LOG_NAME).open("ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "infragate.cli.daemon_server",
                "--home",
                str(home),
                "--idle-timeout",
                str(idle_timeout),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # a daemon: it outlives this command and its terminal
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    with err.status("starting the infragate daemon (loading libraries and AWS service models)…"):
        while time.monotonic() < deadline and process.poll() is None and not _state(home).running:
            time.sleep(0.05)
    if not _state(home).running:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        err.print(f"[bold red]error:[/bold red] the infragate daemon did not start; see {home / LOG_NAME}")
        raise typer.Exit(ExitCode.INTERNAL)
    out.print(f"the infragate daemon is running (pid {process.pid}); commands with INFRAGATE_HOME={home} use it")


@app.command("stop")
def stop() -> None:
    """Stop the daemon; commands run on their own again (slower to start, otherwise the same).

    Example:

      infragate daemon stop
    """
    home = _home()
    current = _state(home)
    if current.pid is None or not alive(current.pid):
        (home / STATE_NAME).unlink(missing_ok=True)
        out.print("the infragate daemon was not running")
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(current.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline and alive(current.pid):
        time.sleep(0.05)
    if alive(current.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(current.pid, signal.SIGKILL)
        socket_path(home).unlink(missing_ok=True)
        (home / STATE_NAME).unlink(missing_ok=True)
    out.print(f"the infragate daemon stopped (pid {current.pid})")


@app.command("status")
def status() -> None:
    """Say whether the daemon runs for this INFRAGATE_HOME. Exits 1 when it does not.

    Example:

      infragate daemon status
    """
    current = _state(_home())
    if current.running and current.started_at is not None:
        minutes = (time.time() - current.started_at) / 60
        out.print(f"the infragate daemon is running (pid {current.pid}, for {minutes:.0f} min)")
        return
    out.print("the infragate daemon is not running; `infragate daemon start` starts it")
    raise typer.Exit(ExitCode.FINDINGS)
