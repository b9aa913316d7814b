"""Run the real ``infragate`` command in a child process, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_infragate(home: Path, *args: str, user: str = "", timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """``infragate ARGS`` with INFRAGATE_HOME=home and INFRAGATE_USER=user (the store comes from the test)."""
    environment = {**os.environ, "INFRAGATE_HOME": str(home), "INFRAGATE_USER": user, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "infragate", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=environment,
    )
