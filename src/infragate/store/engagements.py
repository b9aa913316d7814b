"""Pentest engagements in the store: the open one of an environment, a new request, whether its testing
window is open now, and the severe pentest findings that keep it from closing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from infragate.store import audit_log
from infragate.store.schema import Engagement, EngagementEvent, Finding, Project
from infragate.store.timestamps import as_utc

# The states are pentest.states.EngagementState; the store sits below that layer, so it names the few it reads.
CLOSED = "closed"
REQUESTED = "requested"
IN_WINDOW = ("scheduled", "testing")  # the vendor may be testing: scheduled scans and stress tests wait
SETTLED = ("verified", "accepted-risk", "false-positive")  # a severe pentest finding no longer blocks closing
DEFAULT_VENDOR = "Zoonu"


def open_engagement(session: Session, project_id: int, environment: str) -> Engagement | None:
    """The environment's engagement that is not closed, if any."""
    return session.scalars(
        select(Engagement)
        .where(
            Engagement.project_id == project_id,
            Engagement.environment == environment,
            Engagement.state != CLOSED,
        )
        .order_by(Engagement.id.desc())
    ).first()


def latest_engagement(session: Session, project_id: int, environment: str) -> Engagement | None:
    return session.scalars(
        select(Engagement)
        .where(Engagement.project_id == project_id, Engagement.environment == environment)
        .order_by(Engagement.id.desc())
    ).first()


def ensure_requested(session: Session, project: Project, environment: str, by: str, reason: str) -> Engagement:
    """The open engagement, or a new one in ``requested`` (audit-logged)."""
    found = open_engagement(session, project.id, environment)
    if found is not None:
        return found
    now = datetime.now(UTC)
    made = Engagement(
        project_id=project.id,
        environment=environment,
        state=REQUESTED,
        vendor=DEFAULT_VENDOR,
        contact="",
        requested_by=by,
        requested_at=now,
        source_ips=[],
    )
    made.events.append(EngagementEvent(at=now, actor=by, state=REQUESTED, note=reason))
    session.add(made)
    session.flush()
    audit_log.append(session, by, "pentest-requested", f"{project.name}/{environment}", {"reason": reason})
    return made


def window_of(engagement: Engagement) -> tuple[datetime, datetime] | None:
    """The agreed testing window (UTC), once the engagement is scheduled."""
    if engagement.window_start is None or engagement.window_end is None:
        return None
    return as_utc(engagement.window_start), as_utc(engagement.window_end)


def window_open(session: Session, project_id: int, environment: str, at: datetime) -> Engagement | None:
    """The engagement whose testing window is open at ``at`` (scheduled or testing), if any."""
    found = open_engagement(session, project_id, environment)
    window = window_of(found) if found is not None and found.state in IN_WINDOW else None
    return found if window is not None and window[0] <= at <= window[1] else None


def unsettled_severe(session: Session, project_id: int, environment: str) -> list[str]:
    """High and critical pentest findings not yet verified, accepted or shown false: "RULE component"."""
    rows = session.scalars(
        select(Finding).where(
            Finding.project_id == project_id,
            Finding.environment == environment,
            Finding.source == "pentest",
            Finding.severity.in_(("high", "critical")),
            Finding.status.not_in(SETTLED),
        )
    )
    return [f"{f.rule_id} {f.component}" for f in rows]
