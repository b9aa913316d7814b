"""Writing files completely or not at all: reports, documents and plans are never left half-written."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from infragate.errors import OutputError


def write_atomically(path: Path, text: str, *, private: bool = False) -> None:
    """Write ``text`` to ``path`` completely or not at all (no partial reports on failure)."""
    write_bytes_atomically(path, text.encode("utf-8"), private=private)


def write_bytes_atomically(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write ``data`` to ``path`` completely or not at all. ``private`` files (compliance reports: they list
    open findings) are readable by their owner only; others follow the umask."""
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
        Path(temporary).chmod(0o600 if private else 0o666 & ~umask)  # mkstemp's 0600 is not for every file
        Path(temporary).replace(path)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}", hint="Check permissions and free space.") from None
