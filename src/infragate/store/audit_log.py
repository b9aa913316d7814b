"""The append-only audit log: each entry's hash covers its content and the previous entry's hash.

Editing an entry breaks its own hash; deleting one breaks the chain at the next entry. When the store has a
signing key (``store.checkpoints``), every append also signs the new head, so truncation, deleting
everything, forged appends and re-hashing show too. ``verify`` walks the chain and the checkpoints and names
every entry where they break.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from infragate.json_values import Json, JsonObject
from infragate.store.checkpoints import Head, Signer, check_signature
from infragate.store.schema import AuditCheckpoint, AuditLogEntry
from infragate.store.timestamps import as_utc

GENESIS = "0" * 64
CHAIN_LOCK = 0x1A6E_7A7E  # the PostgreSQL advisory lock that serialises appends (any stable number)


def _hash(previous: str, at: datetime, actor: str, action: str, subject: str, detail: Mapping[str, Json]) -> str:
    # Times are hashed in UTC at microsecond precision: what every supported database gives back.
    stamp = at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    body = json.dumps([previous, stamp, actor, action, subject, detail], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def append(
    session: Session, actor: str, action: str, subject: str, detail: Mapping[str, Json] | None = None
) -> AuditLogEntry:
    """Add an entry. When an admin acts for someone (``--as``), the entry names the person acted for as its
    actor and the admin under ``by``: both are on record."""
    if session.get_bind().dialect.name == "postgresql":
        # FOR UPDATE on the last row does not serialise writers under READ COMMITTED (two appends lock the
        # same row, then both write after it): a transaction-scoped advisory lock does. SQLite transactions
        # begin IMMEDIATE (store.database), which serialises them the same way.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    last = session.scalars(select(AuditLogEntry).order_by(AuditLogEntry.id.desc()).limit(1)).first()
    previous = last.hash if last is not None else GENESIS
    at = datetime.now(UTC)
    data = dict(detail or {})
    acting_admin = session.info.get(ACTING_ADMIN)
    if isinstance(acting_admin, str) and acting_admin != actor:
        data["by"] = acting_admin
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
    signer = session.info.get(SIGNER)
    if isinstance(signer, Signer):
        _checkpoint(session, signer, entry)
    return entry


SIGNER = "infragate.audit_signer"  # session.info key: the store's signing key, set by Store.session()
ACTING_ADMIN = "infragate.acting_admin"


def _checkpoint(session: Session, signer: Signer, entry: AuditLogEntry) -> None:
    """Sign the new head in the same transaction, and record it outside the database once committed."""
    previous = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)).first()
    if previous is not None and previous.head_id < entry.id:
        count = previous.entry_count + 1
    else:  # the first checkpoint of a log that existed before signing (or of a new log): count it once
        count = int(session.scalar(select(func.count()).select_from(AuditLogEntry)) or 0)
    head = Head(count=count, head_id=entry.id, head_hash=entry.hash, at=entry.at)
    signature = signer.sign(head)
    session.add(
        AuditCheckpoint(
            at=head.at,
            entry_count=count,
            head_id=entry.id,
            head_hash=entry.hash,
            key_id=signer.key_id,
            signature=signature,
        )
    )
    session.flush()

    @event.listens_for(session, "after_commit", once=True)
    def _record(_: Session) -> None:
        signer.record_outside(head, signature)


@dataclass(frozen=True)
class Break:
    entry_id: int  # 0 when the problem is the log as a whole
    reason: str


@dataclass(frozen=True)
class EntryRecord:
    """An audit-log entry as plain data: read from the store, or from an export."""

    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    detail: JsonObject
    previous_hash: str
    hash: str

    def to_json(self) -> JsonObject:
        return {**self.__dict__, "at": self.at.astimezone(UTC).isoformat(timespec="microseconds")}


@dataclass(frozen=True)
class CheckpointRecord:
    id: int
    head: Head
    key_id: str
    signature: str

    def to_json(self) -> JsonObject:
        return {"id": self.id, **self.head.to_json(self.key_id, self.signature)}


@dataclass(frozen=True)
class Anchor:
    """What the log is checked against beyond itself: the signing key's public half, and the latest head
    recorded outside the database (None when there is none; ``{"unreadable": True}`` when it is damaged)."""

    public_key: Ed25519PublicKey | None
    recorded_head: JsonObject | None


def entries(session: Session) -> list[EntryRecord]:
    return [
        EntryRecord(e.id, as_utc(e.at), e.actor, e.action, e.subject, e.detail, e.previous_hash, e.hash)
        for e in session.scalars(select(AuditLogEntry).order_by(AuditLogEntry.id))
    ]


def checkpoints(session: Session) -> list[CheckpointRecord]:
    return [
        CheckpointRecord(c.id, Head(c.entry_count, c.head_id, c.head_hash, as_utc(c.at)), c.key_id, c.signature)
        for c in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id))
    ]


def verify(session: Session, anchor: Anchor | None = None) -> tuple[int, list[Break]]:
    """How many entries were checked, and every place where the log breaks (empty when intact).

    Without an anchor only the hash chain is checked; with one, also the signed checkpoints and the head
    recorded outside the database."""
    return verify_records(entries(session), checkpoints(session), anchor)


def verify_records(
    log: list[EntryRecord], signed: list[CheckpointRecord], anchor: Anchor | None
) -> tuple[int, list[Break]]:
    previous, breaks = GENESIS, []
    position: dict[int, tuple[int, str]] = {}  # entry id -> (its 1-based position, its hash)
    for index, entry in enumerate(log, start=1):
        if entry.previous_hash != previous:
            breaks.append(Break(entry.id, "the entry before it was deleted or changed"))
        if _hash(entry.previous_hash, entry.at, entry.actor, entry.action, entry.subject, entry.detail) != entry.hash:
            breaks.append(Break(entry.id, "its content was changed after it was written"))
        position[entry.id] = (index, entry.hash)
        previous = entry.hash
    if anchor is not None:
        breaks += _anchored(log, signed, anchor, position)
    return len(log), breaks


def _anchored(
    log: list[EntryRecord], signed: list[CheckpointRecord], anchor: Anchor, position: dict[int, tuple[int, str]]
) -> list[Break]:
    breaks: list[Break] = []
    if anchor.public_key is None:
        if signed or anchor.recorded_head is not None:
            breaks.append(Break(0, "the audit-log signing key is missing, so no checkpoint can be checked"))
        return breaks
    covered = 0  # the highest entry id a valid checkpoint vouches for
    for checkpoint in signed:
        head = checkpoint.head
        if not check_signature(anchor.public_key, head, checkpoint.signature):
            breaks.append(Break(head.head_id, f"checkpoint {checkpoint.id} is not signed by the audit key (forged)"))
            continue
        found = position.get(head.head_id)
        if found is None or found[1] != head.head_hash:
            what = "is gone" if found is None else "has another hash now (re-hashed after an edit)"
            breaks.append(Break(head.head_id, f"signed as the head at {head.at:%Y-%m-%d %H:%M:%S}, this entry {what}"))
            continue
        if found[0] != head.count:
            breaks.append(
                Break(head.head_id, f"the log had {head.count} entries up to here when signed; it has {found[0]} now")
            )
        covered = max(covered, head.head_id)
    unsigned = [entry.id for entry in log if entry.id > covered]
    if unsigned and (signed or anchor.recorded_head is not None):
        shown = ", ".join(str(i) for i in unsigned[:10]) + (" …" if len(unsigned) > 10 else "")
        breaks.append(Break(unsigned[0], f"{len(unsigned)} entries not covered by a signed checkpoint: {shown}"))
    recorded = anchor.recorded_head
    if recorded is not None:
        breaks += _against_recorded_head(recorded, anchor.public_key, position)
    return breaks


def _against_recorded_head(
    recorded: JsonObject, public_key: Ed25519PublicKey, position: dict[int, tuple[int, str]]
) -> list[Break]:
    try:
        count, head_id = recorded["count"], recorded["head_id"]
        if not isinstance(count, int) or not isinstance(head_id, int):
            raise TypeError("the recorded head's count and id are numbers")
        head = Head(count, head_id, str(recorded["head_hash"]), datetime.fromisoformat(str(recorded["at"])))
        signature = str(recorded["signature"])
    except (KeyError, TypeError, ValueError):
        return [Break(0, "the head recorded outside the database is unreadable")]
    if not check_signature(public_key, head, signature):
        return [Break(0, "the head recorded outside the database is not signed by the audit key")]
    found = position.get(head.head_id)
    if found is None or found[1] != head.head_hash:
        return [
            Break(
                head.head_id,
                f"the log no longer holds the head recorded outside the database ({head.count} entries, "
                f"signed {head.at:%Y-%m-%d %H:%M:%S}): it was truncated, emptied or rewritten",
            )
        ]
    return []
