"""The ``infragate`` console script: hand the command to a warm daemon when one runs, else run it here.

Most of a short command's time is start-up (boto3, SQLAlchemy, pydantic models, botocore's service models),
not work. ``infragate daemon start`` keeps one process with all of that loaded; this launcher, which imports
only the standard library, passes it the command line, the working directory, the environment, the umask and
the terminal itself (file descriptors 0, 1 and 2, over a Unix socket). The daemon forks a copy that runs the
command exactly as this process would have, writing straight to the same terminal or pipes, and reports the
exit code. Ctrl-C and SIGTERM here are forwarded to that copy.

Anything unusual (no daemon, another Python, a changed installation, INFRAGATE_DAEMON=off) runs the command
in this process instead, so the daemon only ever makes commands faster, never different.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # this module starts every command: it imports nothing it does not use
    from infragate.json_values import JsonObject

SOCKET_NAME = "daemon.sock"
MAX_MESSAGE = 1 << 20  # a request (argv + environment) is a few kilobytes; anything bigger is not ours


def home() -> Path:
    """INFRAGATE_HOME as ``infragate.settings`` resolves it, without importing it (it is not free)."""
    configured = os.environ.get("INFRAGATE_HOME")
    if configured:
        return Path(configured)
    from platformdirs import user_data_dir

    return Path(user_data_dir("infragate", appauthor=False))


def socket_path(base: Path) -> Path:
    return base / SOCKET_NAME


def send_message(connection: socket.socket, message: JsonObject, fds: list[int] | None = None) -> None:
    """One JSON message per line; file descriptors ride along with the first byte (SCM_RIGHTS)."""
    payload = (json.dumps(message) + "\n").encode()
    if fds:
        socket.send_fds(connection, [payload[:1]], fds)
        payload = payload[1:]
    connection.sendall(payload)


class MessageReader:
    """Reads newline-delimited JSON messages, and the file descriptors sent with them."""

    def __init__(self, connection: socket.socket) -> None:
        self._connection = connection
        self._buffer = b""
        self.fds: list[int] = []

    def read(self, *, with_fds: bool = False) -> dict[str, object] | None:
        """The next message, or None when the other side closed the connection."""
        while b"\n" not in self._buffer:
            if len(self._buffer) > MAX_MESSAGE:
                raise ValueError("message too long")
            if with_fds and not self.fds:
                data, fds, _flags, _address = socket.recv_fds(self._connection, 65536, 3)
                self.fds.extend(fds)
            else:
                data = self._connection.recv(65536)
            if not data:
                return None
            self._buffer += data
        line, self._buffer = self._buffer.split(b"\n", 1)
        message = json.loads(line)
        if not isinstance(message, dict):
            raise ValueError("a message must be a JSON object")
        return message


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _in_process() -> None:
    from infragate.cli.main import run

    run()


def _through_daemon(path: Path) -> int | None:
    """The command's exit code, run by the daemon; None when the daemon cannot take it (run it here)."""
    try:
        cwd = str(Path.cwd())
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.connect(str(path))
    except OSError:
        return None  # no daemon listening (a stale socket file), or no working directory to hand over
    with connection:
        request: JsonObject = {
            "argv": sys.argv,
            "cwd": cwd,
            "env": dict(os.environ),
            "umask": _current_umask(),
            "executable": sys.executable,
        }
        try:
            send_message(connection, request, fds=[0, 1, 2])
            reader = MessageReader(connection)
            started = reader.read()
        except (OSError, ValueError):
            return None
        if started is None or "pid" not in started:
            return None  # refused before anything ran (e.g. infragate was reinstalled): safe to run here
        worker = started["pid"]
        if not isinstance(worker, int):
            return None

        def forward(signum: int, _frame: object) -> None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker, signum)

        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, forward)
        try:
            finished = reader.read()
        except (OSError, ValueError):
            finished = None
        if finished is None or "exit" not in finished:
            sys.stderr.write("infragate: the daemon's worker ended without an exit code (see daemon.log)\n")
            return 4
        code = finished["exit"]
        return code if isinstance(code, int) else 4


def main() -> None:
    """Console-script entry point."""
    if os.environ.get("INFRAGATE_DAEMON", "").lower() in ("off", "0", "no") or not hasattr(socket, "send_fds"):
        _in_process()
        return
    try:
        path = socket_path(home())
        present = path.is_socket()
    except OSError:
        present = False
    code = _through_daemon(path) if present else None
    if code is None:
        _in_process()
        return
    sys.exit(code)
