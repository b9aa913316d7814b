"""Shared Rich consoles and atomic file output."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from rich.console import Console

from infragate.files import write_atomically, write_bytes_atomically

__all__ = ["emit", "err", "out", "write_atomically", "write_bytes_atomically"]

# Piped output (CI logs) gets a wide table instead of Rich's 80-column default; COLUMNS still wins.
_WIDTH = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160
out = Console(highlight=False, width=_WIDTH, emoji=False)
err = Console(stderr=True, highlight=False, emoji=False)


def emit(text: str, output: Path | None, *, private: bool = False) -> None:
    """Send a machine-readable document to a file (atomically) or to stdout."""
    if output is None:
        out.file.write(text)
        out.file.flush()
    else:
        write_atomically(output, text, private=private)
