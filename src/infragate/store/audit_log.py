"""The append-only audit log: each entry's hash covers its content and the previous entry's hash.

Editing an entry breaks its own hash; deleting one breaks the chain at the next entry. ``verify`` walks the
chain and names the first entry where it breaks.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from infragate.store.schema import AuditLogEntry

GENESIS = "0" * 64
CHAIN_LOCK = 0x1A6E_7A7E  # the PostgreSQL advisory lock that serialises appends (any stable number)


def _hash(previous: str, at: datetime, actor: str, action: str, subject: str, detail: dict[str, Any]) -> str:
    # Times are hashed in UTC at microsecond precision: what every supported database gives back.
    stamp = at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    body = json.dumps([previous, stamp, actor, action, subject, detail], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def append(
    session: Session, actor: str, action: str, subject: str, detail: dict[str, Any] | None = None
) -> AuditLogEntry:
    if session.get_bind().dialect.name == "postgresql":
        # FOR UPDATE on the last row does not serialise writers under READ COMMITTED (two appends lock the
        # same row, then both write after it): a transaction-scoped advisory lock does. SQLite transactions
        # begin IMMEDIATE (store.database), which serialises them the same way.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    last = session.scalars(select(AuditLogEntry).order_by(AuditLogEntry.id.desc()).limit(1)).first()
    previous = last.hash if last is not None else GENESIS
    at = datetime.now(UTC)
    data = detail or {}
    entry = AuditLogEntry(
        at=at,
        actor=actor,
        action=action,
        subject=subject,
        detail=data,
        previous_hash=previous,
        hash=_hash(previous, at, actor, action, subject, data),
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class Break:
    entry_id: int
    reason: str


def verify(session: Session) -> tuple[int, list[Break]]:
    """How many entries were checked, and where the chain breaks (empty when intact)."""
    previous, checked, breaks = GENESIS, 0, []
    for entry in session.scalars(select(AuditLogEntry).order_by(AuditLogEntry.id)):
        checked += 1
        at = entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=UTC)  # SQLite drops the zone
        if entry.previous_hash != previous:
            breaks.append(Break(entry.id, "the entry before it was deleted or changed"))
        if _hash(entry.previous_hash, at, entry.actor, entry.action, entry.subject, entry.detail) != entry.hash:
            breaks.append(Break(entry.id, "its content was changed after it was written"))
        previous = entry.hash
    return checked, breaks
