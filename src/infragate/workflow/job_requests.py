"""Asking for jobs and reading them: who may queue which kind of job on a project, who may watch or cancel it,
and recurring schedules.

The queue (``infragate.jobs``) carries and runs jobs; this decides, for every front end, whether a person may
ask for one (each kind says who, in its stage's declaration). Clients read, they do not run. A job of a
project the caller may not read does not exist for them.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, ValidationError, field_validator
from sqlalchemy import select

from infragate.errors import NotFoundError, UsageError
from infragate.model import Role
from infragate.store import audit_log
from infragate.store import jobs as job_store
from infragate.store.jobs import JobView
from infragate.store.memberships import roles_on
from infragate.store.schema import Project, User
from infragate.workflow.bus import handles
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.jobs_model import JobParams, JobResult
from infragate.workflow.messages import Command, Http, Items, Offset, Outcome, Page, PageSize, Query, Result, RowId
from infragate.workflow.project import open_project
from infragate.workflow.roles import Action, RoleError, require
from infragate.workflow.stages import registry
from infragate.workflow.users import roles_in_scope

ENVIRONMENT = "/projects/{project}/environments/{environment}"


class JobOut(Result):
    id: int
    project: str
    environment: str
    kind: str
    state: str
    requested_by: str
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    worker: str
    attempts: int = 0
    result: JobResult

    @classmethod
    def of(cls, job: JobView) -> JobOut:
        try:
            result = JobResult.model_validate(job.result)
        except ValidationError:  # a record another version wrote: say so rather than guess
            result = JobResult(error="the job's result cannot be read by this version of infragate")
        return cls(
            id=job.id,
            project=job.project,
            environment=job.environment,
            kind=job.kind,
            state=job.state,
            requested_by=job.requested_by,
            requested_at=job.requested_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            worker=job.worker,
            attempts=job.attempts,
            result=result,
        )


class RequestJob(Command[JobOut]):
    """Queue a job for the workers (or record it for ``jobs submit --here`` to run now)."""

    http = Http("POST", ENVIRONMENT + "/jobs", status=202, tag="jobs")
    project: str
    environment: str
    kind: str = Field(..., description="A job kind a stage declares: verify, audit, drift, apply, test, stress, …")
    plan: str | None = Field(None, description="apply: the reviewed plan, as the JSON `infragate plan` wrote.")
    workers: int = Field(1, ge=0, le=64, description="stress: Locust workers on the worker's machine.")
    profile: str | None = Field(None, max_length=40, description="scan: a profile instead of the environment's.")
    component: str | None = Field(None, max_length=120, description="drill: one database or bucket.")
    enqueue: bool = Field(True, description="False: record it only (the caller runs it here).")

    @field_validator("kind")
    @classmethod
    def _a_kind_a_stage_declares(cls, kind: str) -> str:
        known = registry().jobs
        if kind not in known:
            raise ValueError(f"there is no job kind '{kind}'; use one of: {', '.join(known)}")
        return kind

    @field_validator("plan", mode="before")
    @classmethod
    def _plan_as_text(cls, value: object) -> object:
        """The API has always taken the plan as a JSON object; it is kept as the text `infragate plan` wrote."""
        import json

        return json.dumps(value) if isinstance(value, dict) else value


@handles(RequestJob)
def request_job(command: RequestJob, caller: Caller, uow: UnitOfWork) -> JobOut:
    """Refused, and audit-logged, for a role that may not ask for this kind."""
    kind = registry().job(command.kind)
    work = open_project(uow, command.project, caller)
    work.design.environment(command.environment)  # an unknown environment is a usage error
    with work.as_caller() as (session, project, user):
        held = work.roles_of(session, project, user) - {Role.ADMIN.value}
        allowed = {role.value for role in kind.may_request}
        if not held & allowed:
            raise RoleError(
                f"{user.name} may not ask for a{'n' if kind.name[0] in 'aeiou' else ''} {kind.name} job on "
                f"{project.name}: that needs the role {' or '.join(sorted(allowed))}, and {user.name} has "
                f"{', '.join(sorted(held)) or 'no role on it'}",
                hint="Ask the project's lead, or an admin to grant the role.",
            )
        requester = user.name
        audit_log.append(
            session, requester, "job-requested", f"{project.name}/{command.environment}", {"kind": kind.name}
        )
    params = JobParams(plan=command.plan, workers=command.workers, profile=command.profile, component=command.component)
    job = job_store.create(
        uow.store,
        project=work.name,
        environment=command.environment,
        kind=kind.name,
        requested_by=requester,
        params=params.model_dump(exclude_defaults=True),
    )
    if command.enqueue:
        if uow.queue is None:
            raise UsageError("there is no queue to hand the job to", hint="Run it with --here, or start a worker.")
        uow.queue.enqueue(job.id)
    return JobOut.of(job)


class ListJobs(Query[Page[JobOut]]):
    """The latest jobs of a project (or, with no project, of every project the caller may read), newest first."""

    http = Http("GET", "/projects/{project}/jobs", tag="jobs")
    project: str | None
    offset: Offset = 0
    limit: PageSize = 50


@handles(ListJobs)
def list_jobs(command: ListJobs, caller: Caller, uow: UnitOfWork) -> Page[JobOut]:
    if command.project is not None:
        open_project(uow, command.project, caller).require_reader()
        found = job_store.listing(uow.store, command.project, limit=command.offset + command.limit)
    else:
        if caller.authenticated and not roles_in_scope(uow.store, caller).admin:
            raise RoleError(f"{caller.name} may not list every project's jobs", hint="List one project's: -p NAME")
        found = job_store.listing(uow.store, None, limit=command.offset + command.limit)
    items = [JobOut.of(job) for job in found[command.offset :]]
    return Page[JobOut](items=items, total=len(found), offset=command.offset, limit=command.limit)


def _readable_job(uow: UnitOfWork, caller: Caller, job_id: int) -> JobView:
    """The job, for a caller who may read its project; to anyone else it does not exist (a job id says
    nothing about other clients' projects)."""
    found = job_store.get(uow.store, job_id)
    missing = NotFoundError(f"there is no job {job_id}", hint="`infragate jobs list` shows them.")
    if found is None:
        raise missing
    if (caller.via == "local" and not caller.name) or caller.actor == found.requested_by:
        return found  # local mode with nobody named (one person's own store), or the person who asked for it
    try:
        open_project(uow, found.project, caller).require_reader()
    except (RoleError, NotFoundError):
        raise missing from None
    return found


class GetJob(Query[JobOut]):
    """One job: what, who asked, its worker, state and result."""

    http = Http("GET", "/jobs/{job_id}", tag="jobs")
    job_id: RowId


@handles(GetJob)
def get_job(command: GetJob, caller: Caller, uow: UnitOfWork) -> JobOut:
    return JobOut.of(_readable_job(uow, caller, command.job_id))


class JobEvent(Result):
    id: int = Field(description="The event's position: send it back as Last-Event-ID to resume.")
    at: datetime
    kind: str
    message: str


class JobEvents(Items[JobEvent]):
    """A job's progress and log lines, oldest first."""


class GetJobLog(Query[JobEvents]):
    """The job's progress and log lines so far (``after``: only those after that position)."""

    http = Http("GET", "/jobs/{job_id}/log", tag="jobs")
    job_id: RowId
    after: Offset = 0


@handles(GetJobLog)
def job_log(command: GetJobLog, caller: Caller, uow: UnitOfWork) -> JobEvents:
    _readable_job(uow, caller, command.job_id)
    events = job_store.events(uow.store, command.job_id)
    return JobEvents(
        [
            JobEvent(id=i, at=at, kind=kind, message=message)
            for i, (at, kind, message) in enumerate(events, 1)
            if i > command.after
        ]
    )


class CancelJob(Command[JobOut]):
    """Cancel a queued job, or ask a running one to stop (the requester, the project's lead, or an admin)."""

    http = Http("POST", "/jobs/{job_id}/cancellation", tag="jobs")
    job_id: RowId


@handles(CancelJob)
def cancel_job(command: CancelJob, caller: Caller, uow: UnitOfWork) -> JobOut:
    job_id, actor = command.job_id, caller.actor
    job = _readable_job(uow, caller, job_id)
    store = uow.store
    with store.session() as session:
        user = session.scalars(select(User).where(User.name == actor)).first()
        project = session.scalars(select(Project).where(Project.name == job.project)).first()
        roles = roles_on(session, user, project.id) if user is not None and project is not None else set()
        allowed = actor == job.requested_by or bool(caller.scope.limit(job.project, roles) & {"lead", "admin"})
        if not allowed:
            audit_log.append(session, actor, "refused", f"job {job_id}", {"kind": "cancel", "of": job.requested_by})
    if not allowed:
        raise RoleError(
            f"{actor} may not cancel job {job_id}: it was asked for by {job.requested_by}",
            hint="The requester, the project's lead or an admin can cancel it.",
        )
    if job.state not in job_store.ACTIVE:
        raise UsageError(f"job {job_id} is already {job.state}", hint="Only queued or running jobs can be cancelled.")
    cancelled = job_store.request_cancel(store, job_id)
    with store.session() as session:
        audit_log.append(session, actor, "job-cancel-requested", f"job {job_id}", {"state": job.state})
    return JobOut.of(cancelled or job)


class AddSchedule(Command[Outcome]):
    """A lead or security person schedules a recurring job, as themselves. A scheduled scan of production runs
    as the person who scheduled it, so only security may schedule one (ICP-4.1, ICP-R3)."""

    http = Http("POST", ENVIRONMENT + "/schedules", status=201, tag="jobs")
    project: str
    environment: str
    name: str = Field(..., min_length=1, max_length=60)
    kind: str
    cron: str = Field(..., max_length=100)


@handles(AddSchedule)
def add_schedule(command: AddSchedule, caller: Caller, uow: UnitOfWork) -> Outcome:
    from infragate.model.project import ScheduleSpec

    work = open_project(uow, command.project, caller)
    env = work.design.environment(command.environment)
    name, kind, cron = command.name, command.kind, command.cron
    try:
        ScheduleSpec(kind=kind, cron=cron)
    except ValidationError as invalid:
        field = str(invalid.errors()[0]["loc"][0])
        said = (
            f"kind '{kind}' is not drift, verify, audit or scan"
            if field == "kind"
            else (f"cron '{cron}' is not five cron fields (minute hour day-of-month month day-of-week)")
        )
        raise UsageError(
            f"schedule {name}: {said}", hint="For example: --kind scan --cron '0 3 * * 1' (UTC)."
        ) from None
    with work.as_caller() as (session, project, user):
        roles = work.roles_of(session, project, user)
        action = Action.SCAN_PRODUCTION if kind == "scan" and env.settings.is_production else Action.MANAGE_SCHEDULES
        require(user.name, roles, action)
        job_store.ensure_schedule(
            session,
            project=project.name,
            environment=command.environment,
            name=name,
            kind=kind,
            cron=cron,
            created_by=user.name,
        )
        audit_log.append(
            session,
            user.name,
            "schedule-created",
            f"{project.name}/{command.environment}",
            {"name": name, "kind": kind, "cron": cron},
        )
    return Outcome(result=f"scheduled {kind} as {name}: {cron} (UTC)")


class ScheduleOut(Result):
    environment: str
    name: str
    kind: str
    cron: str
    created_by: str | None
    last_fired_at: datetime | None


class Schedules(Items[ScheduleOut]):
    """A project's schedules (seeded from each environment's ``schedules:`` in the design)."""


class ListSchedules(Query[Schedules]):
    """The project's schedules."""

    http = Http("GET", "/projects/{project}/schedules", tag="jobs")
    project: str


@handles(ListSchedules)
def list_schedules(command: ListSchedules, caller: Caller, uow: UnitOfWork) -> Schedules:
    work = open_project(uow, command.project, caller)
    with work.session():  # the design's schedules are seeded as it is now
        pass
    return Schedules(
        [
            ScheduleOut(
                environment=row.environment,
                name=row.name,
                kind=row.kind,
                cron=row.cron,
                created_by=row.created_by,
                last_fired_at=row.last_fired_at,
            )
            for row in job_store.schedules(uow.store, work.name)
        ]
    )
