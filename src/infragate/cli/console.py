"""Shared Rich consoles and atomic file output."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from rich.console import Console

from infragate.errors import OutputError

# Piped output (CI logs) gets a wide table instead of Rich's 80-column default; COLUMNS still wins.
_WIDTH = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160
out = Console(highlight=False, width=_WIDTH, emoji=False)
err = Console(stderr=True, highlight=False, emoji=False)


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` completely or not at all (no partial reports on failure)."""
    write_bytes_atomically(path, text.encode("utf-8"))


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` completely or not at all."""
    directory = path.parent if str(path.parent) else Path()
    if not directory.is_dir():
        raise OutputError(
            f"cannot write {path}: directory {directory} does not exist",
            hint="Create the directory first or choose another --output path.",
        )
    try:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        umask = os.umask(0)
        os.umask(umask)
        Path(temporary).chmod(0o666 & ~umask)  # a report is an ordinary file, not mkstemp's private one
        Path(temporary).replace(path)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}", hint="Check permissions and free space.") from None


def emit(text: str, output: Path | None) -> None:
    """Send a machine-readable document to a file (atomically) or to stdout."""
    if output is None:
        out.file.write(text)
        out.file.flush()
    else:
        write_atomically(output, text)
