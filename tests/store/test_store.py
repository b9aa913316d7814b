"""The store on SQLite and PostgreSQL: migrations, findings across runs, the hash-chained audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from infragate.errors import StoreError, UsageError
from infragate.model.names import PERSON_MAX
from infragate.store import Store, audit_log
from infragate.store.findings import FindingStatus, Observed, ingest, open_findings
from infragate.store.projects import ensure_project, ensure_user, finish_run, start_run
from infragate.store.schema import Finding, User


def test_migrations_build_the_schema_from_an_empty_database(store_url: str) -> None:
    store = Store(store_url)
    assert store.revision() is None
    store.ensure_current()
    assert store.revision() == store.head() == "0011"
    store.upgrade()  # a second upgrade is a no-op
    tables = set(sa.inspect(store.engine).get_table_names())
    assert {
        "projects",
        "runs",
        "findings",
        "audit_log",
        "environment_locks",
        "audit_checkpoints",
        "memberships",
        "credentials",
        "api_tokens",
        "web_sessions",
    } <= tables
    store.engine.dispose()


def test_migration_0005_turns_global_roles_into_memberships_on_the_projects_that_named_them(store_url: str) -> None:
    from alembic import command

    from infragate.store.database import _alembic

    store = Store(store_url)
    with store.engine.connect() as connection, connection.begin():
        command.upgrade(_alembic(connection), "0003")
    design = "project:\n  name: webshop\n  owners:\n    lead: lena\n    security: [sam]\n"
    with store.engine.begin() as connection:
        for name, roles in (("lena", '["lead"]'), ("sam", '["security"]'), ("ada", '["admin", "lead"]')):
            connection.execute(
                sa.text("INSERT INTO users (name, email, roles, created_at) VALUES (:n, '', :r, CURRENT_TIMESTAMP)"),
                {"n": name, "r": roles},
            )
        for project in ("webshop", "other"):
            connection.execute(
                sa.text(
                    "INSERT INTO projects (name, client, design_path, created_at) "
                    "VALUES (:p, 'c', 'd', CURRENT_TIMESTAMP)"
                ),
                {"p": project},
            )
        connection.execute(
            sa.text(
                "INSERT INTO design_versions (project_id, digest, content, recorded_at) "
                "VALUES (1, 'sha256:1', :c, CURRENT_TIMESTAMP)"
            ),
            {"c": design},
        )
    store.upgrade()
    with store.session() as session:
        rows = session.execute(
            sa.text(
                "SELECT u.name, p.name, m.role FROM memberships m JOIN users u ON u.id = m.user_id "
                "JOIN projects p ON p.id = m.project_id ORDER BY u.name"
            )
        ).all()
        roles = {user.name: user.roles for user in session.scalars(sa.select(User))}
    assert [tuple(row) for row in rows] == [("lena", "webshop", "lead"), ("sam", "webshop", "security")]
    assert roles == {"lena": [], "sam": [], "ada": ["admin"]}  # ada's lead role named no project: it is gone
    store.engine.dispose()


def _observed(rule: str, severity: str = "high") -> Observed:
    return Observed(f"fp-{rule}", rule, "web", severity, f"title {rule}", f"message {rule}")


def test_findings_are_deduplicated_fixed_and_reopened_across_runs(store: Store) -> None:
    with store.session() as session:
        project = ensure_project(session, "webshop", "Acme", "infragate.yaml", ["staging", "production"])
        run = start_run(session, project, "production", "audit")
        first = ingest(
            session,
            project_id=project.id,
            environment="production",
            source="audit",
            run_id=run.id,
            observed=[_observed("NET-002", "critical"), _observed("S3-001")],
        )
        finish_run(run, succeeded=True, summary={"fail": 2})
        project_id = project.id
    assert (first.new, first.fixed) == (2, 0)

    with store.session() as session:
        again = ingest(
            session,
            project_id=project_id,
            environment="production",
            source="audit",
            run_id=None,
            observed=[_observed("NET-002", "critical")],
        )
        assert (again.new, again.still_open, again.fixed) == (0, 1, 1)
        assert [f.rule_id for f in open_findings(session, project_id)] == ["NET-002"]

    with store.session() as session:
        back = ingest(
            session,
            project_id=project_id,
            environment="production",
            source="audit",
            run_id=None,
            observed=[_observed("NET-002", "critical"), _observed("S3-001")],
        )
        assert back.reopened == 1
        s3 = session.scalars(sa.select(Finding).where(Finding.rule_id == "S3-001")).one()
        assert [event.status for event in s3.events] == ["open", "fixed", "open"]
        critical = session.scalars(sa.select(Finding).where(Finding.rule_id == "NET-002")).one()
        assert critical.due_at is not None and (critical.due_at - critical.first_seen).days == 7

    with store.session() as session:
        accepted = session.scalars(sa.select(Finding).where(Finding.rule_id == "S3-001")).one()
        accepted.status = FindingStatus.ACCEPTED_RISK.value
    with store.session() as session:
        later = ingest(
            session, project_id=project_id, environment="production", source="audit", run_id=None, observed=[]
        )
        assert later.fixed == 1, "accepted risks are neither fixed nor reopened by runs"
        statuses = {f.rule_id: f.status for f in session.scalars(sa.select(Finding))}
        assert statuses == {"NET-002": "fixed", "S3-001": "accepted-risk"}


def test_the_audit_log_detects_edited_and_deleted_entries(store: Store) -> None:
    with store.session() as session:
        for index in range(5):
            audit_log.append(session, "lena", "approve", f"plan {index}", {"digest": f"sha256:{index}"})
    with store.session() as session:
        assert audit_log.verify(session) == (5, [])
    with store.engine.begin() as connection:
        connection.execute(sa.text("UPDATE audit_log SET actor = 'mallory' WHERE id = 2"))
    with store.session() as session:
        checked, breaks = audit_log.verify(session)
        assert checked == 5 and [(b.entry_id, "changed" in b.reason) for b in breaks] == [(2, True)]
    with store.engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM audit_log WHERE id = 4"))
    with store.session() as session:
        _, breaks = audit_log.verify(session)
        assert (5, True) in [(b.entry_id, "deleted" in b.reason) for b in breaks]


def test_an_unreachable_database_is_a_clear_error() -> None:
    store = Store("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")
    with pytest.raises(StoreError, match="cannot reach the database") as caught:
        store.ensure_current()
    assert "secret" not in caught.value.message
    with pytest.raises(StoreError, match="not a usable database URL"):
        Store("nosuchdb://x")


@pytest.mark.parametrize("name", ["x" * 121, "", "   ", "line\nbreak"])
def test_user_names_are_checked_the_same_on_every_backend(store: Store, name: str) -> None:
    with pytest.raises(UsageError, match="not a valid user name"), store.session() as session:
        ensure_user(session, name, ["lead"])
    with store.session() as session:
        assert ensure_user(session, "x" * 120, ["lead"]).name == "x" * 120, "the longest name fits both"


def test_the_design_limit_for_people_matches_the_store_column() -> None:
    assert User.__table__.c.name.type.length == PERSON_MAX  # type: ignore[attr-defined]


def test_a_file_that_is_not_a_database_is_a_clear_store_error(tmp_path: Path) -> None:
    impostor = tmp_path / "notes.db"
    impostor.write_text("these are my notes, not a database\n")
    with pytest.raises(StoreError, match="not a usable infragate database"):
        Store(f"sqlite:///{impostor}").ensure_current()
