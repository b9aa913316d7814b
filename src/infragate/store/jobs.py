"""Jobs and schedules in the store: whichever queue carries a job, its record lives here."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from infragate.json_values import JsonObject
from infragate.store.database import Store
from infragate.store.schema import Job, JobEvent, Schedule
from infragate.store.timestamps import optional_utc

ACTIVE = ("queued", "running")


@dataclass(frozen=True)
class JobView:
    id: int
    project: str
    environment: str
    kind: str
    params: JsonObject
    state: str
    requested_by: str
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    worker: str
    cancel_requested: bool
    attempts: int
    result: JsonObject
    schedule_id: int | None


def _view(job: Job) -> JobView:
    return JobView(
        job.id,
        job.project,
        job.environment,
        job.kind,
        dict(job.params),
        job.state,
        job.requested_by,
        optional_utc(job.requested_at) or datetime.now(UTC),
        optional_utc(job.started_at),
        optional_utc(job.finished_at),
        job.worker,
        job.cancel_requested,
        job.attempts,
        dict(job.result),
        job.schedule_id,
    )


def create(
    store: Store,
    *,
    project: str,
    environment: str,
    kind: str,
    requested_by: str,
    params: JsonObject | None = None,
    schedule_id: int | None = None,
) -> JobView:
    with store.session() as session:
        job = Job(
            project=project,
            environment=environment,
            kind=kind,
            params=params or {},
            state="queued",
            requested_by=requested_by,
            requested_at=datetime.now(UTC),
            worker="",
            cancel_requested=False,
            attempts=0,
            result={},
            schedule_id=schedule_id,
        )
        session.add(job)
        session.flush()
        return _view(job)


def get(store: Store, job_id: int) -> JobView | None:
    with store.session() as session:
        job = session.get(Job, job_id)
        return _view(job) if job is not None else None


def listing(store: Store, project: str | None = None, limit: int = 50) -> list[JobView]:
    with store.session() as session:
        query = select(Job).order_by(Job.id.desc()).limit(limit)
        if project is not None:
            query = query.where(Job.project == project)
        return [_view(job) for job in session.scalars(query)]


def claim(store: Store, job_id: int) -> JobView | None:
    """Mark a queued job running on this worker; None when it was cancelled (or claimed) meanwhile."""
    now = datetime.now(UTC)
    with store.session() as session:
        changed = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == "queued", Job.cancel_requested.is_(False))
            .values(
                state="running",
                started_at=now,
                heartbeat_at=now,
                worker=f"{socket.gethostname()} pid {os.getpid()}",
                attempts=Job.attempts + 1,
            )
        )
        if getattr(changed, "rowcount", 0) != 1:
            job = session.get(Job, job_id)
            if job is not None and job.state == "queued" and job.cancel_requested:
                job.state, job.finished_at = "cancelled", now
            return None
        job = session.get(Job, job_id)
        return _view(job) if job is not None else None


def beat(store: Store, job_id: int) -> bool:
    """Renew the heartbeat; True when cancellation was asked for."""
    with store.session() as session:
        job = session.get(Job, job_id)
        if job is None:
            return True
        job.heartbeat_at = datetime.now(UTC)
        return bool(job.cancel_requested)


def event(store: Store, job_id: int, kind: str, message: str) -> None:
    with store.session() as session:
        session.add(JobEvent(job_id=job_id, at=datetime.now(UTC), kind=kind, message=message))


def events(store: Store, job_id: int) -> list[tuple[datetime, str, str]]:
    with store.session() as session:
        rows = session.scalars(select(JobEvent).where(JobEvent.job_id == job_id).order_by(JobEvent.id))
        return [(optional_utc(row.at) or datetime.now(UTC), row.kind, row.message) for row in rows]


def finish(store: Store, job_id: int, state: str, result: JsonObject) -> None:
    with store.session() as session:
        job = session.get(Job, job_id)
        if job is not None:
            job.state, job.finished_at, job.result = state, datetime.now(UTC), result


def request_cancel(store: Store, job_id: int) -> JobView | None:
    """Ask a job to stop: a queued one is cancelled at once, a running one stops at its next check."""
    with store.session() as session:
        job = session.get(Job, job_id)
        if job is None:
            return None
        if job.state in ACTIVE:
            job.cancel_requested = True
            if job.state == "queued":
                job.state, job.finished_at = "cancelled", datetime.now(UTC)
        return _view(job)


def requeue(store: Store, job_id: int) -> None:
    with store.session() as session:
        job = session.get(Job, job_id)
        if job is not None:
            job.state, job.worker, job.heartbeat_at = "queued", "", None


def stale_running(store: Store, lease: timedelta) -> list[JobView]:
    """Running jobs whose worker stopped renewing their heartbeat: it died (killed, machine gone)."""
    cutoff = datetime.now(UTC) - lease
    with store.session() as session:
        rows = session.scalars(select(Job).where(Job.state == "running"))
        return [_view(job) for job in rows if (optional_utc(job.heartbeat_at) or cutoff) <= cutoff]


# -- schedules -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScheduleView:
    id: int
    project: str
    environment: str
    name: str
    kind: str
    cron: str
    enabled: bool
    last_fired_at: datetime | None
    created_by: str | None = None  # a person who made it (through the workflow), else the design or infragate


def _schedule(row: Schedule) -> ScheduleView:
    return ScheduleView(
        row.id,
        row.project,
        row.environment,
        row.name,
        row.kind,
        row.cron,
        row.enabled,
        optional_utc(row.last_fired_at),
        row.created_by,
    )


def schedule(store: Store, schedule_id: int) -> ScheduleView | None:
    with store.session() as session:
        row = session.get(Schedule, schedule_id)
        return _schedule(row) if row is not None else None


def ensure_schedule(
    session: Session,
    *,
    project: str,
    environment: str,
    name: str,
    kind: str,
    cron: str,
    keep: bool = False,
    created_by: str | None = None,
) -> bool:
    """Create or update a schedule (within the caller's transaction: project registration seeds them); with
    ``keep``, an existing one is left as it is (a default never overrides what the design says). True when
    it was created."""
    row = session.scalars(
        select(Schedule).where(Schedule.project == project, Schedule.environment == environment, Schedule.name == name)
    ).first()
    if row is None:
        session.add(
            Schedule(project=project, environment=environment, name=name, kind=kind, cron=cron, created_by=created_by)
        )
        return True
    if not keep:
        row.kind, row.cron, row.created_by = kind, cron, created_by
    return False


def schedules(store: Store, project: str | None = None) -> list[ScheduleView]:
    with store.session() as session:
        query = select(Schedule).order_by(Schedule.project, Schedule.environment, Schedule.name)
        if project is not None:
            query = query.where(Schedule.project == project)
        return [_schedule(row) for row in session.scalars(query)]


def mark_fired(store: Store, schedule_id: int, minute: datetime) -> bool:
    """Record that a schedule fired for ``minute``; False when it already did (another worker was first)."""
    with store.session() as session:
        changed = session.execute(
            update(Schedule)
            .where(
                Schedule.id == schedule_id,
                (Schedule.last_fired_at.is_(None)) | (Schedule.last_fired_at < minute),
            )
            .values(last_fired_at=minute)
        )
        return getattr(changed, "rowcount", 0) == 1
