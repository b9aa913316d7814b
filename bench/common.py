"""What the bench scripts share."""

from __future__ import annotations

import socket
import subprocess
import time


def free_port() -> int:
    """A TCP port nothing listens on at 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def listening(process: subprocess.Popen[bytes], port: int, what: str) -> tuple[subprocess.Popen[bytes], int]:
    """``process`` and ``port`` once something accepts connections on 127.0.0.1:``port`` (5 s at most)."""
    for _ in range(100):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process, port
        time.sleep(0.05)
    process.kill()
    raise SystemExit(f"{what} did not start")
