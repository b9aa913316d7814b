"""The audit log proves it is whole: with its head signed on every append by a key outside the database,
truncation, deleting everything, forged appends and re-hashing after an edit are all detected, on SQLite and
PostgreSQL; an export verifies with the public key alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from infragate.store import Store, audit_log
from infragate.store.checkpoints import Signer
from infragate.workflow import audit_trail


@pytest.fixture
def signed_store(store_url: str, tmp_path: Path) -> Iterator[Store]:
    opened = Store(store_url, signer=Signer(tmp_path / "keys" / "audit.pem"))
    opened.upgrade()
    yield opened
    opened.engine.dispose()


def _write(store: Store, count: int, actor: str = "lena") -> None:
    for index in range(count):
        with store.session() as session:
            audit_log.append(session, actor, "approve", f"plan {index}", {"digest": f"sha256:{index}"})


def _reasons(store: Store) -> list[str]:
    result = audit_trail.verify(store)
    assert result.anchored
    return [found.reason for found in result.breaks]


def test_an_untouched_log_verifies_and_its_head_is_kept_outside_the_database(signed_store: Store) -> None:
    _write(signed_store, 5)
    result = audit_trail.verify(signed_store)
    assert (result.checked, result.breaks) == (5, [])
    assert result.latest is not None and result.latest.head.count == 5
    assert signed_store.signer is not None
    assert signed_store.signer.head_file.exists()
    assert signed_store.signer.key_file.stat().st_mode & 0o077 == 0  # the key is its owner's alone


def test_a_truncated_tail_is_detected(signed_store: Store) -> None:
    _write(signed_store, 5)
    with signed_store.engine.begin() as connection:  # remove the last two entries and their checkpoints
        connection.execute(sa.text("DELETE FROM audit_log WHERE id > 3"))
        connection.execute(sa.text("DELETE FROM audit_checkpoints WHERE head_id > 3"))
    assert any("no longer holds the head recorded outside" in reason for reason in _reasons(signed_store))


def test_deleting_everything_is_detected(signed_store: Store) -> None:
    _write(signed_store, 3)
    with signed_store.engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM audit_log"))
        connection.execute(sa.text("DELETE FROM audit_checkpoints"))
    result = audit_trail.verify(signed_store)
    assert result.checked == 0
    assert [b.reason for b in result.breaks if "truncated, emptied or rewritten" in b.reason]


def test_a_forged_append_is_detected(signed_store: Store) -> None:
    _write(signed_store, 3)
    forger = Store(signed_store.url)  # the database, without the key: hashes are easy, signatures are not
    with forger.session() as session:
        audit_log.append(session, "mallory", "finding-verified", "webshop#1", {"note": "fixed, trust me"})
    forger.engine.dispose()
    reasons = _reasons(signed_store)
    assert any("1 entries not covered by a signed checkpoint: 4" in reason for reason in reasons)


def test_rehashing_after_an_edit_is_detected(signed_store: Store) -> None:
    _write(signed_store, 4)
    with signed_store.session() as session:  # edit entry 2, then recompute every hash after it, as a forger would
        rows = list(session.scalars(sa.select(audit_log.AuditLogEntry).order_by(audit_log.AuditLogEntry.id)))
        rows[1].actor = "mallory"
        previous = rows[0].hash
        for row in rows[1:]:
            row.previous_hash = previous
            row.hash = audit_log._hash(previous, row.at, row.actor, row.action, row.subject, row.detail)
            previous = row.hash
    assert audit_log.verify_records(*_unsigned_view(signed_store)) == (4, [])  # the chain alone is fooled
    assert any("re-hashed" in reason for reason in _reasons(signed_store))


def _unsigned_view(store: Store) -> tuple[list[audit_log.EntryRecord], list[audit_log.CheckpointRecord], None]:
    with store.session() as session:
        return audit_log.entries(session), audit_log.checkpoints(session), None


def test_a_forged_checkpoint_is_detected(signed_store: Store, tmp_path: Path) -> None:
    _write(signed_store, 2)
    other = Store(signed_store.url, signer=Signer(tmp_path / "other-key.pem"))  # someone else's key
    with other.session() as session:
        audit_log.append(session, "mallory", "launched", "webshop/production")
    other.engine.dispose()
    reasons = _reasons(signed_store)
    assert any("not signed by the audit key" in reason for reason in reasons)


def test_an_export_verifies_with_the_public_key_alone_and_shows_tampering(signed_store: Store, tmp_path: Path) -> None:
    _write(signed_store, 3)
    export = tmp_path / "export"
    assert audit_trail.export(signed_store, export) == 3
    assert sorted(p.name for p in export.iterdir()) == ["checkpoints.jsonl", "entries.jsonl", "head.json", "public.pem"]
    assert audit_trail.verify_export(export).breaks == []

    entries = export / "entries.jsonl"
    lines = entries.read_text().splitlines()
    entries.write_text("\n".join(lines[:-1]) + "\n")  # the auditor's copy lost its last entry
    assert audit_trail.verify_export(export).breaks


def test_without_a_key_only_the_chain_is_checked_and_it_says_so(store: Store) -> None:
    _write(store, 2)
    result = audit_trail.verify(store)
    assert result.breaks == [] and not result.anchored


def test_the_hourly_checkpoint_verifies_the_log_and_signs_a_dated_head(signed_store: Store) -> None:
    _write(signed_store, 3)
    quiet = audit_trail.scheduled_checkpoint(signed_store)
    assert quiet.intact and quiet.checked == 3
    latest = audit_trail.latest_checkpoint(signed_store)
    assert latest is not None and latest.head.count == 4  # the check is itself an entry, signed like any other
    with signed_store.session() as session:
        last = audit_log.entries(session)[-1]
    assert (last.action, last.detail["intact"]) == ("audit-log-checked", True)
    with signed_store.engine.begin() as connection:  # someone edits an entry's detail in place
        connection.execute(sa.text("UPDATE audit_log SET subject = 'plan X' WHERE id = 2"))
    broken = audit_trail.scheduled_checkpoint(signed_store)
    assert not broken.intact
    with signed_store.session() as session:
        reported = audit_log.entries(session)[-1]
    assert reported.detail["intact"] is False and any("entry 2" in b for b in reported.detail["breaks"])


def test_the_workers_run_the_checkpoint_every_hour() -> None:
    from datetime import datetime

    from infragate.jobs.queue import make_queue
    from infragate.settings import load_settings

    huey = make_queue(load_settings()).huey
    on_the_hour = {task.name for task in huey.read_periodic(datetime(2026, 11, 27, 9, 0))}
    half_past = {task.name for task in huey.read_periodic(datetime(2026, 11, 27, 9, 30))}
    assert on_the_hour == {"infragate.tick", "infragate.audit-checkpoint"} and half_past == {"infragate.tick"}
