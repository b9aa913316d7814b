"""Running a claimed job: who it acts as (who asked for it, or the person who made its schedule), whether it
may run at all, the stage's handler for its kind (``stages.registry().jobs``), the runs it recorded, and
who is told when a scheduled job fails or finds something. The workers (``infragate.jobs``) call this; they
only claim, beat and finish."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError
from sqlalchemy import select

from infragate.errors import InfragateError, NotFoundError, RefusedError, UsageError
from infragate.model import Role
from infragate.store import jobs as job_store
from infragate.store.jobs import JobView
from infragate.store.schema import Project, Run
from infragate.workflow.bus import handles
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.jobs_model import JobParams, JobResult, JobRun
from infragate.workflow.messages import Command, RowId
from infragate.workflow.registration import design_at, registered_design
from infragate.workflow.stages import JobRequest, registry

SCHEDULER = "infragate-scheduler"  # who "requested" a scheduled job in its record and the audit log


class RunJob(Command[JobResult]):
    """Run a job that a worker (or ``--here``) claimed, as whom it acts for."""

    job_id: RowId


@handles(RunJob)
def run_job(command: RunJob, caller: Caller, uow: UnitOfWork) -> JobResult:
    job = job_store.get(uow.store, command.job_id)
    if job is None:
        raise NotFoundError(f"there is no job {command.job_id}")
    path = registered_design(uow.store, job.project)
    if path is None:
        raise UsageError(f"project {job.project} is not registered", hint="`infragate project init -d FILE`.")
    design = design_at(str(path))
    actor = acting_for(uow, job)
    if job.kind == "scan" and actor == SCHEDULER and design.environment(job.environment).settings.is_production:
        raise RefusedError(
            f"a scheduled scan of {job.project}/{job.environment} (production) runs only from a schedule that "
            "security made",
            hint=f"As security: infragate jobs schedule --env {job.environment} --name weekly-scan --kind scan "
            "--cron '0 2 * * 1'",
        )
    try:
        params = JobParams.model_validate(job.params)
    except ValidationError:
        raise UsageError(f"job {job.id}'s parameters cannot be read by this version of infragate") from None
    kind = registry().job(job.kind)
    request = JobRequest(job.project, job.environment, params, job.id)
    return kind.run(request, Caller(actor, via="worker"), uow)


def acting_for(uow: UnitOfWork, job: JobView) -> str:
    """Who a job acts as: who asked for it, or for a schedule a person made, that person (so a scheduled
    production scan is security's, and stops being anyone's when they no longer hold the role)."""
    if job.schedule_id is not None:
        made = job_store.schedule(uow.store, job.schedule_id)
        if made is not None and made.created_by:
            return made.created_by
    return job.requested_by


def evidence_of(uow: UnitOfWork, job: JobView) -> list[JobRun]:
    """The runs this job recorded (its evidence in the store): kind, id and status."""
    with uow.store.session() as session:
        project = session.scalars(select(Project).where(Project.name == job.project)).first()
        if project is None or job.started_at is None:
            return []
        rows = session.scalars(
            select(Run)
            .where(Run.project_id == project.id, Run.environment == job.environment, Run.started_at >= job.started_at)
            .order_by(Run.id)
        )
        return [JobRun(kind=run.kind, run=run.id, status=run.status) for run in rows]


def tell_accountable(uow: UnitOfWork, job: JobView) -> None:
    """A schedule that failed, found drift, or found new high findings notifies who is accountable (ICP-6.1)."""
    try:
        result = JobResult.model_validate(job.result)
    except ValidationError:
        result = JobResult(error="unreadable result")
    messages: list[tuple[Sequence[Role], str]] = []
    if job.state == "failed":
        messages.append(((Role.LEAD,), f"the scheduled {job.kind} failed: {result.error or ''}"))
    if result.aligned is False:
        messages.append(((Role.LEAD,), f"drift: {', '.join(result.differs or [])} differ from the design"))
    if job.kind == "scan" and job.state == "failed":  # a scan that could not run is never a clean scan
        messages.append(((Role.SECURITY,), f"the scheduled OWASP scan could not run: {result.error or ''}"))
    if result.complete is False:
        messages.append(
            ((Role.SECURITY,), f"the scheduled OWASP scan was incomplete: {'; '.join(result.uncovered or [])}")
        )
    if result.new_severe:
        messages.append(((Role.SECURITY, Role.LEAD), f"{result.new_severe} new high or critical finding(s)"))
    if not messages:
        return
    path = registered_design(uow.store, job.project)  # the design itself: a refused job is told about too
    if path is None:
        return
    try:
        design = design_at(str(path))
    except InfragateError:
        return
    for roles, body in messages:
        title = f"infragate: {job.project}/{job.environment} ({job.kind}, job {job.id})"
        told = uow.notifier(design, roles, title, body)
        job_store.event(uow.store, job.id, "log", f"notified {', '.join(told) or 'nobody (no targets)'}: {body}")
