"""Findings across runs: de-duplicated by fingerprint, fixed when they stop appearing, reopened when they return.

Each finding keeps its history (``FindingEvent``) and a due date from the severity SLA.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from infragate.store.schema import Finding, FindingEvent

# Days to resolve a finding, by severity (None: no deadline).
SLA_DAYS = {"critical": 7, "high": 30, "medium": 90, "low": 180, "info": None}


class FindingStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in-progress"
    FIXED = "fixed"
    VERIFIED = "verified"
    ACCEPTED_RISK = "accepted-risk"
    FALSE_POSITIVE = "false-positive"


ACTIVE = (FindingStatus.OPEN, FindingStatus.IN_PROGRESS)
RESOLVED = (FindingStatus.FIXED, FindingStatus.VERIFIED)


@dataclass(frozen=True)
class Observed:
    """One failing check as a run saw it (the workflow turns policy findings into these)."""

    fingerprint: str
    rule_id: str
    component: str
    severity: str
    title: str
    message: str
    clause: str | None = None  # the policy clause it breaks (ICP-…), when the source knows it


@dataclass(frozen=True)
class IngestSummary:
    new: int
    reopened: int
    still_open: int
    fixed: int
    new_severe: int = 0  # new or reopened high and critical findings: what a schedule tells security about


def _event(finding: Finding, status: FindingStatus, actor: str, note: str, at: datetime) -> None:
    finding.status = status.value
    finding.events.append(FindingEvent(at=at, actor=actor, status=status.value, note=note))


def ingest(
    session: Session,
    *,
    project_id: int,
    environment: str,
    source: str,
    run_id: int | None,
    observed: list[Observed],
    actor: str = "infragate",
    complete: bool = True,
) -> IngestSummary:
    """Record one run's failing findings for a source (audit, scan, …) in one environment. Findings the run
    no longer saw are marked fixed only when the run was ``complete`` (it looked everywhere)."""
    now = datetime.now(UTC)
    existing = {
        f.fingerprint: f
        for f in session.scalars(
            select(Finding).where(
                Finding.project_id == project_id, Finding.environment == environment, Finding.source == source
            )
        )
    }
    new = reopened = still_open = fixed = new_severe = 0
    seen = set()
    for item in observed:
        seen.add(item.fingerprint)
        finding = existing.get(item.fingerprint)
        if finding is None:
            days = SLA_DAYS.get(item.severity)
            finding = Finding(
                project_id=project_id,
                environment=environment,
                fingerprint=item.fingerprint,
                source=source,
                rule_id=item.rule_id,
                clause=item.clause,
                component=item.component,
                severity=item.severity,
                status=FindingStatus.OPEN.value,
                title=item.title,
                message=item.message,
                due_at=now + timedelta(days=days) if days is not None else None,
                first_seen=now,
                last_seen=now,
                last_run_id=run_id,
            )
            session.add(finding)
            _event(finding, FindingStatus.OPEN, actor, f"found by {source}", now)
            new += 1
            new_severe += item.severity in ("critical", "high")
            continue
        finding.last_seen, finding.message, finding.last_run_id = now, item.message, run_id
        if finding.status in RESOLVED:
            _event(finding, FindingStatus.OPEN, actor, f"seen again by {source}", now)
            reopened += 1
            new_severe += item.severity in ("critical", "high")
        elif finding.status in ACTIVE:
            still_open += 1
    for fingerprint, finding in existing.items():
        if complete and fingerprint not in seen and finding.status in ACTIVE:
            _event(finding, FindingStatus.FIXED, actor, f"no longer found by {source}", now)
            fixed += 1
    session.flush()
    return IngestSummary(new, reopened, still_open, fixed, new_severe)


def open_findings(session: Session, project_id: int, environment: str | None = None) -> list[Finding]:
    query = select(Finding).where(Finding.project_id == project_id, Finding.status.in_([s.value for s in ACTIVE]))
    if environment is not None:
        query = query.where(Finding.environment == environment)
    return list(session.scalars(query.order_by(Finding.severity, Finding.id)))
