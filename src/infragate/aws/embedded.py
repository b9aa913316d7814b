"""Embedded AWS: a local AWS emulator (moto server, extended by ``emulator``) run as a background daemon
on 127.0.0.1.

Started the first time an embedded environment needs it, recorded in ``<home>/aws-local.json`` (pid, port)
and reused by later commands, so ``apply`` in one command and ``audit`` in the next see the same account.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from infragate.errors import EmbeddedAwsError
from infragate.extras import require
from infragate.processes import alive

HOST = "127.0.0.1"
START_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class EmbeddedStatus:
    running: bool
    pid: int | None = None
    port: int | None = None

    @property
    def endpoint(self) -> str | None:
        return f"http://{HOST}:{self.port}" if self.port else None


class EmbeddedAws:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.state_file = home / "aws-local.json"
        self.log_file = home / "aws-local.log"

    def status(self) -> EmbeddedStatus:
        try:
            state = json.loads(self.state_file.read_text())
            pid, port = int(state["pid"]), int(state["port"])
        except (OSError, ValueError, KeyError, TypeError):
            return EmbeddedStatus(False)
        if alive(pid) and _healthy(port):
            return EmbeddedStatus(True, pid, port)
        return EmbeddedStatus(False, pid, port)

    def ensure(self) -> str:
        """The endpoint of a running emulator, starting one if needed."""
        with self._locked():
            status = self.status()
            if status.running and status.endpoint:
                return status.endpoint
            if status.pid and alive(status.pid):
                _terminate(status.pid)  # recorded but not answering: never leave an orphan holding a port
            require("moto")  # the emulator is the 'embedded' extra's
            return self._start()

    def stop(self) -> bool:
        """Stop the emulator; True if one was running."""
        with self._locked():
            status = self.status()
            if status.pid and alive(status.pid):
                _terminate(status.pid)
            self.state_file.unlink(missing_ok=True)
            return status.running

    def reset(self) -> None:
        """Forget every resource in the emulator (the account becomes empty)."""
        status = self.status()
        if not status.running or not status.endpoint:
            raise EmbeddedAwsError("embedded AWS is not running", hint="Start it with `infragate aws-local start`.")
        request = urllib.request.Request(f"{status.endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def _start(self) -> str:
        self.home.mkdir(parents=True, exist_ok=True)
        port = _free_port()
        with self.log_file.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "infragate.aws.emulator", "-H", HOST, "-p", str(port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # a daemon: survives the command that started it
            )
        if not _wait_until(lambda: _healthy(port) or process.poll() is not None, START_TIMEOUT_S) or not _healthy(port):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            raise EmbeddedAwsError(
                "embedded AWS (moto server) did not start",
                hint=f"See {self.log_file}. Is the 'moto[server]' package installed (pip install -e .)?",
            )
        state = {"pid": process.pid, "port": port, "started_at": time.time()}
        temporary = self.state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(state))
        temporary.replace(self.state_file)
        return f"http://{HOST}:{port}"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise start/stop between concurrent infragate commands."""
        self.home.mkdir(parents=True, exist_ok=True)
        with (self.home / "aws-local.lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _terminate(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
    _wait_until(lambda: not alive(pid), 10.0)


def _healthy(port: int) -> bool:
    # The dashboard page is cheap and always answers; /moto-api/data.json serialises the whole account
    # and fails (HTTP 500) once some resource types exist, which made a busy daemon look dead.
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/moto-api/", timeout=5) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False
