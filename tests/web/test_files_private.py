"""Reports and the SQLite store are their owner's alone, whatever the umask; other outputs follow it."""

from __future__ import annotations

import os
from pathlib import Path

from infragate.files import write_atomically
from infragate.store import Store


def test_private_files_and_the_sqlite_store_are_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_atomically(tmp_path / "report.html", "<p>findings</p>", private=True)
        write_atomically(tmp_path / "schema.json", "{}")
        Store(f"sqlite:///{tmp_path / 'store.db'}").upgrade()
    finally:
        os.umask(old)
    assert (tmp_path / "report.html").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "store.db").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "schema.json").stat().st_mode & 0o777 == 0o644
