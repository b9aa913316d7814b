"""``infragate lock status|release`` as people use them, and the CLI's literal user names."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from sqlalchemy import select

from infragate.store import Store
from infragate.store import locks as env_locks
from infragate.store.schema import AuditLogEntry
from tests.conftest import WEBSHOP
from tests.support.cli import run_infragate

LEAD, DEV = "lena.lead@example.com", "dara.dev@example.com"


def infragate(home: Path, *args: str, user: str = "") -> subprocess.CompletedProcess[str]:
    return run_infragate(home, *args, user=user)


def test_status_shows_the_holder_and_only_the_holder_or_an_admin_releases(tmp_path: Path) -> None:
    assert infragate(tmp_path, "project", "init", "-d", str(WEBSHOP)).returncode == 0
    store = Store(os.environ["INFRAGATE_DATABASE_URL"])
    lease = env_locks.acquire(store, "webshop", "staging", holder=LEAD, purpose="apply")
    try:
        shown = infragate(tmp_path, "lock", "status", "-d", str(WEBSHOP))
        assert shown.returncode == 0 and "staging" in shown.stdout and LEAD in shown.stdout and "apply" in shown.stdout
        refused = infragate(tmp_path, "lock", "release", "--env", "staging", "-d", str(WEBSHOP), user=DEV)
        assert refused.returncode == 2 and "release another person's environment lock" in refused.stderr
        released = infragate(tmp_path, "lock", "release", "--env", "staging", "-d", str(WEBSHOP), user=LEAD)
        assert released.returncode == 0 and "released the lock of webshop/staging" in released.stdout
    finally:
        lease._stop.set()
    assert env_locks.current(store, "webshop", "staging") is None
    with store.session() as session:
        actions = [e.action for e in session.scalars(select(AuditLogEntry).order_by(AuditLogEntry.id))]
    assert "refused" in actions and "lock-released" in actions
    again = infragate(tmp_path, "lock", "release", "--env", "staging", "-d", str(WEBSHOP), user=LEAD)
    assert again.returncode == 2 and "is not locked" in again.stderr


def test_user_names_are_printed_literally_and_nobody_bootstraps_themself(tmp_path: Path) -> None:
    self_made = infragate(tmp_path, "user", "add", "ada", "--role", "admin", user="ada")
    assert self_made.returncode == 2 and "infragate admin create NAME" in self_made.stderr
    assert infragate(tmp_path, "admin", "create", "ada").returncode == 0
    project_role = infragate(tmp_path, "user", "add", "bob", "--role", "lead", user="ada")
    assert project_role.returncode == 2 and "project members add bob --role lead" in project_role.stderr
    odd = "[bold]mallory[/bold]"
    added = infragate(tmp_path, "user", "add", odd, user="ada")
    assert added.returncode == 0 and odd in added.stdout, "no Rich markup interpretation of names"
    assert odd in infragate(tmp_path, "user", "list").stdout


def test_findings_of_an_unknown_environment_is_a_usage_error(tmp_path: Path) -> None:
    result = infragate(tmp_path, "findings", "list", "--env", "prodution", "-d", str(WEBSHOP))
    assert result.returncode == 2 and "prodution" in result.stderr
