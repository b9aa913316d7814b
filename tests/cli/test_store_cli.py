"""``infragate db`` and ``infragate audit-log`` as a user runs them."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from infragate.store import Store, audit_log


def infragate(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "INFRAGATE_DATABASE_URL"}
    environment |= {"INFRAGATE_HOME": str(home), **env}
    return subprocess.run(
        [sys.executable, "-m", "infragate", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=environment,
    )


def test_db_upgrade_then_a_tampered_audit_log_fails_verification(tmp_path: Path) -> None:
    assert infragate(tmp_path, "db", "status").returncode == 1, "a new store is behind until migrated"
    upgraded = infragate(tmp_path, "db", "upgrade")
    assert upgraded.returncode == 0 and "empty -> 0011" in upgraded.stdout
    assert infragate(tmp_path, "db", "status").returncode == 0

    store = Store(f"sqlite:///{tmp_path / 'infragate.db'}")
    with store.session() as session:
        for index in range(3):
            audit_log.append(session, "lena", "approve", f"plan {index}")
    store.engine.dispose()
    assert infragate(tmp_path, "audit-log", "verify").returncode == 0

    with sqlite3.connect(tmp_path / "infragate.db") as connection:
        connection.execute("UPDATE audit_log SET subject = 'plan 9' WHERE id = 2")
    tampered = infragate(tmp_path, "audit-log", "verify")
    assert tampered.returncode == 1 and "entry 2" in tampered.stderr and "Traceback" not in tampered.stderr


def test_the_signed_log_is_exported_verified_and_a_truncation_is_caught(tmp_path: Path) -> None:
    design = Path(__file__).resolve().parents[2] / "examples" / "webshop" / "infragate.yaml"
    for _ in range(3):  # every command that writes the log signs its new head
        assert infragate(tmp_path, "project", "init", "-d", str(design)).returncode == 0
    verified = infragate(tmp_path, "audit-log", "verify")
    assert verified.returncode == 0, verified.stderr
    assert "every hash, link and signature checks out; last signed checkpoint" in " ".join(verified.stdout.split())
    assert (tmp_path / "keys" / "audit-ed25519.pem").exists()

    export = tmp_path / "export"
    assert infragate(tmp_path, "audit-log", "export", str(export)).returncode == 0
    auditor = infragate(
        tmp_path, "audit-log", "verify", "--export", str(export), "--public-key", str(export / "public.pem")
    )
    assert auditor.returncode == 0, auditor.stderr

    with sqlite3.connect(tmp_path / "infragate.db") as connection:
        last = connection.execute("SELECT MAX(id) FROM audit_log").fetchone()[0]
        connection.execute("DELETE FROM audit_log WHERE id = ?", (last,))
        connection.execute("DELETE FROM audit_checkpoints WHERE head_id = ?", (last,))
    truncated = infragate(tmp_path, "audit-log", "verify")
    assert truncated.returncode == 1
    assert "truncated, emptied or rewritten" in " ".join(truncated.stderr.split())
    misuse = infragate(tmp_path, "audit-log", "verify", "--public-key", str(export / "public.pem"))
    assert misuse.returncode == 2


def test_an_unreachable_database_exits_five_without_leaking_the_password(tmp_path: Path) -> None:
    result = infragate(tmp_path, "db", "upgrade", INFRAGATE_DATABASE_URL="postgresql+psycopg://u:hunter2@127.0.0.1:1/x")
    assert result.returncode == 5
    assert "cannot reach the database" in result.stderr and "hunter2" not in result.stderr
