"""The audit log as evidence: verify it (chain, signed checkpoints, the head kept outside the database),
export it for an outside auditor, and verify such an export with the public key alone."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import Field, JsonValue

from infragate.errors import UsageError
from infragate.files import write_atomically, write_bytes_atomically
from infragate.json_values import Json
from infragate.store import Store, audit_log
from infragate.store.audit_log import Anchor, Break, CheckpointRecord, EntryRecord
from infragate.store.checkpoints import Head, load_public_key, public_pem, read_head_file
from infragate.workflow.bus import handles
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.messages import Command, Http, Query, Result
from infragate.workflow.users import require_admin

ENTRIES, CHECKPOINTS, PUBLIC_KEY, HEAD = "entries.jsonl", "checkpoints.jsonl", "public.pem", "head.json"


@dataclass(frozen=True)
class Verification:
    checked: int
    breaks: list[Break]
    latest: CheckpointRecord | None  # the newest signed checkpoint in the log
    anchored: bool  # False: there is no signing key, so only the hash chain could be checked

    @property
    def intact(self) -> bool:
        return not self.breaks


def _anchor(store: Store) -> Anchor | None:
    signer = store.signer
    return None if signer is None else Anchor(signer.public, read_head_file(signer.head_file))


def verify(store: Store) -> Verification:
    """The store's log, checked against the store's signing key (only the chain when it has none)."""
    anchor = _anchor(store)
    with store.session() as session:
        log, signed = audit_log.entries(session), audit_log.checkpoints(session)
    checked, breaks = audit_log.verify_records(log, signed, anchor)
    return Verification(checked, breaks, signed[-1] if signed else None, anchor is not None)


CHECKPOINTER = "infragate-scheduler"


def scheduled_checkpoint(store: Store) -> Verification:
    """What the workers do every hour: verify the whole log, and record the result as an entry, whose signed
    checkpoint dates the head even when nobody acted. A broken log is reported in that entry (and by the
    worker), so tampering surfaces within the hour rather than at the next audit."""
    result = verify(store)
    detail: dict[str, Json] = {"intact": result.intact, "checked": result.checked, "anchored": result.anchored}
    if result.breaks:
        detail["breaks"] = [f"entry {b.entry_id}: {b.reason}" for b in result.breaks[:20]]
    with store.session() as session:
        audit_log.append(session, CHECKPOINTER, "audit-log-checked", "audit log", detail)
    return result


def latest_checkpoint(store: Store) -> CheckpointRecord | None:
    """The newest signed head: compliance reports carry it, so a later truncation contradicts the report."""
    with store.session() as session:
        signed = audit_log.checkpoints(session)
    return signed[-1] if signed else None


def export(store: Store, directory: Path) -> int:
    """Write the log, its checkpoints, the public key and the outside head into ``directory``; entries written."""
    anchor = _anchor(store)
    if anchor is None or anchor.public_key is None:
        raise UsageError("this store has no audit-log signing key", hint="Open it with open_store(settings).")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as problem:
        raise UsageError(
            f"cannot create {directory}: {problem.strerror}", hint="Choose a writable directory."
        ) from None
    directory.mkdir(parents=True, exist_ok=True)
    with store.session() as session:
        log, signed = audit_log.entries(session), audit_log.checkpoints(session)
    write_atomically(directory / ENTRIES, "".join(json.dumps(e.to_json(), sort_keys=True) + "\n" for e in log))
    write_atomically(directory / CHECKPOINTS, "".join(json.dumps(c.to_json(), sort_keys=True) + "\n" for c in signed))
    write_bytes_atomically(directory / PUBLIC_KEY, public_pem(anchor.public_key))
    head = anchor.recorded_head
    if head is not None:
        write_atomically(directory / HEAD, json.dumps(head, indent=2))
    return len(log)


def verify_export(directory: Path, public_key_file: Path | None = None) -> Verification:
    """Check an export with the public key alone (the auditor's own copy, or the export's public.pem)."""
    key_file = public_key_file or directory / PUBLIC_KEY
    try:
        public = load_public_key(key_file.read_bytes(), str(key_file))
        log = [_entry(json.loads(line)) for line in _lines(directory / ENTRIES)]
        signed = [_checkpoint(json.loads(line)) for line in _lines(directory / CHECKPOINTS)]
    except OSError as problem:
        raise UsageError(f"cannot read the export: {problem}", hint="Point at a directory made by export.") from None
    except (ValueError, KeyError, TypeError) as problem:
        raise UsageError(f"the export in {directory} is malformed ({problem})", hint="Export it again.") from None
    head_file = directory / HEAD
    recorded = read_head_file(head_file)
    checked, breaks = audit_log.verify_records(log, signed, Anchor(public, recorded))
    return Verification(checked, breaks, signed[-1] if signed else None, True)


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.strip()]


def _object(data: object) -> dict[str, object]:
    if not isinstance(data, dict):
        raise TypeError("a line is not a JSON object")
    return data


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"{value!r} is not a number")
    return int(value)


def _entry(line: object) -> EntryRecord:
    data = _object(line)
    detail = data["detail"]
    if not isinstance(detail, dict):
        raise TypeError("an entry's detail is not a JSON object")
    return EntryRecord(
        id=_int(data["id"]),
        at=datetime.fromisoformat(str(data["at"])),
        actor=str(data["actor"]),
        action=str(data["action"]),
        subject=str(data["subject"]),
        detail=detail,
        previous_hash=str(data["previous_hash"]),
        hash=str(data["hash"]),
    )


def _checkpoint(line: object) -> CheckpointRecord:
    data = _object(line)
    head = Head(
        _int(data["count"]), _int(data["head_id"]), str(data["head_hash"]), datetime.fromisoformat(str(data["at"]))
    )
    return CheckpointRecord(_int(data["id"]), head, str(data["key_id"]), str(data["signature"]))


# -- use-cases ----------------------------------------------------------------------------------------------
class BreakOut(Result):
    entry_id: int  # 0: the log as a whole
    reason: str


class AuditLogStatus(Result):
    """Whether the audit log is whole: the entries checked, every break, and its newest signed checkpoint."""

    intact: bool
    checked: int
    anchored: bool  # False: no signing key, so only the hash chain could be checked
    problems: list[str]
    breaks: list[BreakOut]
    head_id: int | None
    head_at: datetime | None

    @classmethod
    def of(cls, result: Verification) -> AuditLogStatus:
        return cls(
            intact=result.intact,
            checked=result.checked,
            anchored=result.anchored,
            problems=[f"entry {b.entry_id}: {b.reason}" for b in result.breaks],
            breaks=[BreakOut(entry_id=b.entry_id, reason=b.reason) for b in result.breaks],
            head_id=result.latest.head.head_id if result.latest else None,
            head_at=result.latest.head.at if result.latest else None,
        )


class VerifyAuditLog(Query[AuditLogStatus]):
    """Check the store's audit log: every entry's hash and link, every signed checkpoint, and the head kept
    outside the database (admins, on the server)."""

    http = Http("GET", "/audit-log", tag="audit log")


@handles(VerifyAuditLog)
def verify_audit_log(command: VerifyAuditLog, caller: Caller, uow: UnitOfWork) -> AuditLogStatus:
    if caller.authenticated:
        require_admin(uow.store, caller, "read the whole audit log")
    return AuditLogStatus.of(verify(uow.store))


class Exported(Result):
    entries: int
    directory: str


class ExportAuditLog(Command[Exported]):
    """Write the audit log, its signed checkpoints and the public key for an outside auditor (on the host)."""

    directory: str


@handles(ExportAuditLog)
def export_audit_log(command: ExportAuditLog, caller: Caller, uow: UnitOfWork) -> Exported:
    return Exported(entries=export(uow.store, Path(command.directory)), directory=command.directory)


class EntryOut(Result):
    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    detail: dict[str, JsonValue]


class AuditLogPage(Result):
    status: AuditLogStatus
    entries: list[EntryOut]  # newest first


class ReadAuditLog(Query[AuditLogPage]):
    """The audit log's latest entries, newest first, with whether it verifies (admins)."""

    limit: int = Field(200, ge=1, le=1000)


@handles(ReadAuditLog)
def read_audit_log(command: ReadAuditLog, caller: Caller, uow: UnitOfWork) -> AuditLogPage:
    require_admin(uow.store, caller, "read the whole audit log")
    with uow.store.session() as session:
        latest = audit_log.entries(session)[-command.limit :][::-1]
    return AuditLogPage(
        status=AuditLogStatus.of(verify(uow.store)),
        entries=[
            EntryOut(id=e.id, at=e.at, actor=e.actor, action=e.action, subject=e.subject, detail=e.detail)
            for e in latest
        ],
    )
