"""The warm CLI daemon: one process with infragate's libraries and AWS service models loaded, which forks a
copy per command (see ``daemon_client`` for the other side, and why).

Only libraries and infragate's non-CLI packages are loaded before forking. The CLI modules build Rich
consoles from the terminal and environment they start in, so each command's copy imports them itself, after
it has taken over the caller's terminal, working directory and environment.

Run as ``python -m infragate.cli.daemon_server --home DIR``; ``infragate daemon start`` does that.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import importlib
import io
import json
import os
import pkgutil
import signal
import socket
import struct
import sys
import threading
import time
from pathlib import Path

import infragate
from infragate.cli.daemon_client import MessageReader, send_message, socket_path

STATE_NAME = "daemon.json"
LOG_NAME = "daemon.log"
# Modules the daemon must not load: the CLI (see above), the emulator (moto: only its own process needs it),
# Alembic's migration scripts (they run only inside Alembic) and the ``python -m`` entry points.
# Never imported by infragate itself: the emulator and the migrations run elsewhere, and the locustfile runs in
# Locust's processes (importing Locust patches the standard library with gevent).
_NOT_PRELOADED = (
    "infragate.cli",
    "infragate.aws.emulator",
    "infragate.store.migrations",
    "infragate.__main__",
    "infragate.stress.locustfile",
)
_LIBRARIES = ("typer", "rich.console", "rich.table", "rich.progress", "rich.markup", "rich.panel", "rich.tree")
_ACCEPT_POLL_S = 1.0


def source_fingerprint() -> str:
    """What identifies the installed infragate: a reinstall or an edited module changes it."""
    root = Path(infragate.__file__).parent
    newest, count = 0, 0
    for path in root.rglob("*.py"):
        with contextlib.suppress(OSError):
            newest = max(newest, path.stat().st_mtime_ns)
            count += 1
    return f"{infragate.__version__}:{count}:{newest}"


def preload(log: io.TextIOBase) -> None:
    """Import everything a command may need, and parse the AWS service models once."""
    for name in _LIBRARIES:
        importlib.import_module(name)
    for module in pkgutil.walk_packages(infragate.__path__, "infragate."):
        if module.name.startswith(_NOT_PRELOADED):
            continue
        try:
            importlib.import_module(module.name)
        except Exception as problem:  # e.g. WeasyPrint without Pango: that command will say so when it runs
            log.write(f"not preloaded: {module.name} ({type(problem).__name__}: {problem})\n")
    from infragate.aws.clients import warm_service_models

    warm_service_models()


def _peer_uid(connection: socket.socket) -> int | None:
    """The connecting process's user id (Linux), so only the daemon's own user can run commands through it."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return None
    raw = connection.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", raw)
    return int(uid)


class Daemon:
    """Accepts commands on ``<home>/daemon.sock`` until stopped, idle too long, or infragate changes."""

    def __init__(self, home: Path, idle_timeout: float, log: io.TextIOBase) -> None:
        self.home = home
        self.idle_timeout = idle_timeout
        self.log = log
        self.path = socket_path(home)
        self.fingerprint = source_fingerprint()
        self.children: set[int] = set()
        self.stopping = False
        self.last_activity = time.monotonic()

    def serve(self) -> None:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.path.unlink(missing_ok=True)
        old_mask = os.umask(0o077)  # the socket is the daemon's door: only its user may knock
        try:
            listener.bind(str(self.path))
        finally:
            os.umask(old_mask)
        listener.listen(64)
        listener.settimeout(_ACCEPT_POLL_S)
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        self._write_state()
        self.log.write(f"listening on {self.path} (pid {os.getpid()})\n")
        self.log.flush()
        try:
            while not self.stopping:
                self._reap()
                if not self.children and time.monotonic() - self.last_activity > self.idle_timeout:
                    self.log.write("idle timeout: stopping\n")
                    break
                try:
                    connection, _address = listener.accept()
                except (TimeoutError, InterruptedError):
                    continue
                self.last_activity = time.monotonic()
                self._handle(listener, connection)
        finally:
            listener.close()
            self.path.unlink(missing_ok=True)
            (self.home / STATE_NAME).unlink(missing_ok=True)
            self.log.write("stopped\n")
            self.log.flush()

    def _stop(self, _signum: int, _frame: object) -> None:
        self.stopping = True

    def _write_state(self) -> None:
        state = {"pid": os.getpid(), "socket": str(self.path), "started_at": time.time(), "python": sys.executable}
        temporary = self.home / (STATE_NAME + ".tmp")
        temporary.write_text(json.dumps(state))
        temporary.replace(self.home / STATE_NAME)

    def _reap(self) -> None:
        for pid in list(self.children):
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done, status = pid, 0
            if done == 0:
                continue
            self.children.discard(pid)
            self.log.write(f"command {pid} ended ({os.waitstatus_to_exitcode(status)})\n")
            self.log.flush()

    def _handle(self, listener: socket.socket, connection: socket.socket) -> None:
        reader = MessageReader(connection)
        try:
            connection.settimeout(10)
            uid = _peer_uid(connection)
            if uid is not None and uid != os.getuid():
                self.log.write(f"refused a connection from uid {uid}\n")
                return
            request = reader.read(with_fds=True)
            refusal = self._refusal(request, reader.fds)
            if refusal:
                self.log.write(f"refused: {refusal}\n")
                send_message(connection, {"refused": refusal})
                return
            assert request is not None
            pid = os.fork()
            if pid == 0:  # the command's own process: never returns
                connection.settimeout(None)
                _run_command(listener, connection, request, reader.fds)
            self.children.add(pid)
            self.log.write(f"command {pid} started\n")
        except (OSError, ValueError) as problem:
            self.log.write(f"bad request: {type(problem).__name__}: {problem}\n")
        finally:
            for fd in reader.fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
            connection.close()
            self.log.flush()

    def _refusal(self, request: dict[str, object] | None, fds: list[int]) -> str | None:
        if request is None or len(fds) != 3:
            return "incomplete request"
        if not isinstance(request.get("argv"), list) or not isinstance(request.get("env"), dict):
            return "malformed request"
        if request.get("executable") != sys.executable:
            return f"another Python ({request.get('executable')}); this daemon runs {sys.executable}"
        if source_fingerprint() != self.fingerprint:
            self.stopping = True  # serve the old code to nobody: stop, and let the caller run the new one
            return "infragate changed since the daemon started; it stops now"
        return None


def _run_command(
    listener: socket.socket, connection: socket.socket, request: dict[str, object], fds: list[int]
) -> None:
    """In the forked copy: become the caller's process, run the CLI, report the exit code, and exit."""
    code = 4
    try:
        listener.close()
        for signum in (signal.SIGTERM, signal.SIGCHLD):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for target, fd in zip((0, 1, 2), fds, strict=True):
            os.dup2(fd, target)
            os.close(fd)
        argv, env, umask = request["argv"], request["env"], request.get("umask")
        assert isinstance(argv, list) and isinstance(env, dict)  # _refusal turned away any other request
        os.chdir(str(request["cwd"]))
        os.umask(umask if isinstance(umask, int) else 0o022)
        os.environ.clear()
        os.environ.update({str(key): str(value) for key, value in env.items()})
        time.tzset()
        sys.argv = [str(argument) for argument in argv]
        sys.stdin = io.TextIOWrapper(os.fdopen(0, "rb", closefd=False), encoding="utf-8", errors="replace")
        sys.stdout = _text_stream(1)
        sys.stderr = _text_stream(2)
        send_message(connection, {"pid": os.getpid()})
        threading.Thread(target=_interrupt_when_caller_leaves, args=(connection,), daemon=True).start()
        code = _exit_code_of_cli()
    except BaseException:
        code = 4
    finally:
        with contextlib.suppress(BaseException):
            atexit._run_exitfuncs()  # what interpreter exit would do (log handlers, temporary files)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(BaseException):
                stream.flush()
        with contextlib.suppress(BaseException):
            send_message(connection, {"exit": code})
        os._exit(code)


def _text_stream(fd: int) -> io.TextIOWrapper:
    """A fresh text stream on the caller's file descriptor, line-buffered on a terminal as Python's own is."""
    return io.TextIOWrapper(
        os.fdopen(fd, "wb", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=os.isatty(fd)
    )


def _interrupt_when_caller_leaves(connection: socket.socket) -> None:
    """A caller killed outright (SIGKILL) cannot forward anything: treat its going away as Ctrl-C."""
    with contextlib.suppress(OSError):
        while connection.recv(1024):
            pass
        os.kill(os.getpid(), signal.SIGINT)


def _exit_code_of_cli() -> int:
    from infragate.cli.main import run

    try:
        run()
    except SystemExit as done:
        if done.code is None:
            return 0
        if isinstance(done.code, int):
            return done.code
        sys.stderr.write(f"{done.code}\n")
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description="The warm infragate CLI daemon (started by `infragate daemon start`).")
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--idle-timeout", type=float, default=3 * 3600.0, help="seconds without a command")
    args = parser.parse_args()
    args.home.mkdir(parents=True, exist_ok=True)
    with (args.home / LOG_NAME).open("a", encoding="utf-8") as log:
        started = time.perf_counter()
        preload(log)
        log.write(f"preloaded in {time.perf_counter() - started:.2f} s\n")
        Daemon(args.home, args.idle_timeout, log).serve()


if __name__ == "__main__":
    main()
