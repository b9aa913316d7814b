"""The API's work endpoints: jobs (asked for, listed, followed as server-sent events, cancelled), runs, plan
approvals, what changed in a design since its approval, and users. The use-cases decide who may do what."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from infragate.cicd.github import GitHub
from infragate.errors import NotFoundError
from infragate.jobs.control import cancel
from infragate.jobs.queue import make_queue
from infragate.store import jobs as job_store
from infragate.store.jobs import JobView
from infragate.web.api import Outcome, Page, flow
from infragate.web.principals import principal
from infragate.web.problems import PROBLEM_RESPONSES
from infragate.workflow import accounts, portfolio
from infragate.workflow.accounts import Principal
from infragate.workflow.design_review import DesignChanges, RunView
from infragate.workflow.job_requests import JOB_KINDS
from infragate.workflow.roles import RoleError
from infragate.workflow.service import Workflow
from infragate.workflow.stress_testing import StressOptions, StressTesting
from infragate.workflow.users import add_user, user_roles

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)
Caller = Annotated[Principal, Depends(principal)]
EVENT_POLL_S = 0.5  # how often a followed job's new events are looked for


class JobIn(BaseModel):
    # the pattern is made from the use-case's kinds, so a kind added there is never refused here
    kind: str = Field(..., description=f"One of: {', '.join(JOB_KINDS)}.", pattern=f"^({'|'.join(JOB_KINDS)})$")
    plan: dict[str, Any] | None = Field(None, description="apply: the reviewed plan (the JSON `infragate plan` wrote).")


class JobOut(BaseModel):
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
    result: dict[str, Any]

    @classmethod
    def of(cls, job: JobView) -> JobOut:
        return cls(**{name: getattr(job, name) for name in cls.model_fields})


class JobEvent(BaseModel):
    id: int = Field(description="The event's position: send it back as Last-Event-ID to resume.")
    at: datetime
    kind: str
    message: str


class PlanApprovalIn(BaseModel):
    digest: str = Field(..., pattern=r"^sha256:[0-9a-f]{64}$", description="The plan's digest (`infragate plan`).")
    comment: str = Field("", max_length=2000)


class UserIn(BaseModel):
    name: str = Field(..., min_length=1, max_length=120)
    admin: bool = False
    email: str = Field("", max_length=200)


class UserOut(BaseModel):
    name: str
    admin: bool
    projects: dict[str, list[str]]


class PasswordIn(BaseModel):
    password: str = Field(..., min_length=1, max_length=1000)


@router.post(
    "/projects/{project}/environments/{environment}/jobs", response_model=JobOut, status_code=202, tags=["jobs"]
)
def request_job(request: Request, caller: Caller, project: str, environment: str, body: JobIn) -> JobOut:
    """Queue a job for the workers: verify, audit, drift (verify, then audit), or apply a reviewed plan."""
    params = {"plan": json.dumps(body.plan)} if body.plan is not None else {}
    job = flow(request, caller, project).request_job(environment, body.kind, params)
    make_queue(request.app.state.settings).enqueue(job.id)
    return JobOut.of(job)


@router.get("/projects/{project}/jobs", response_model=Page[JobOut], tags=["jobs"])
def jobs(
    request: Request,
    caller: Caller,
    project: str,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[JobOut]:
    found = flow(request, caller, project).jobs(limit=offset + limit)
    return Page[JobOut](items=[JobOut.of(j) for j in found[offset:]], total=len(found), offset=offset, limit=limit)


def job_flow(request: Request, caller: Principal, job_id: int) -> Workflow:
    """The workflow of the job's project, for a caller who may read it; to anyone else the job does not
    exist (a job id says nothing about other clients' projects)."""
    found = job_store.get(request.app.state.store, job_id)
    missing = NotFoundError(f"there is no job {job_id}", hint="GET /api/v1/projects/{project}/jobs lists them.")
    if found is None:
        raise missing
    try:
        workflow = flow(request, caller, found.project)
        workflow.job(job_id)
    except RoleError:
        raise missing from None
    return workflow


@router.get("/jobs/{job_id}", response_model=JobOut, tags=["jobs"])
def job(request: Request, caller: Caller, job_id: int) -> JobOut:
    return JobOut.of(job_flow(request, caller, job_id).job(job_id))


@router.get("/jobs/{job_id}/log", response_model=list[JobEvent], tags=["jobs"])
def job_log(request: Request, caller: Caller, job_id: int) -> list[JobEvent]:
    """The job's progress and log lines so far."""
    events = job_flow(request, caller, job_id).job_events(job_id)
    return [JobEvent(id=i, at=at, kind=kind, message=message) for i, (at, kind, message) in enumerate(events, 1)]


@router.get(
    "/jobs/{job_id}/events",
    tags=["jobs"],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-sent events"}},
)
async def job_events(request: Request, caller: Caller, job_id: int) -> StreamingResponse:
    """Follow a job as server-sent events: each progress or log line as a `progress` or `log` event (data is a
    JobEvent), then one `end` event with the job, when it has finished. Resume with Last-Event-ID."""
    await asyncio.to_thread(job_flow, request, caller, job_id)  # 404 now, before the stream starts
    resume = request.headers.get("last-event-id", "0")
    seen = int(resume) if resume.isdigit() else 0
    store = request.app.state.store

    async def stream() -> AsyncIterator[str]:
        nonlocal seen
        waited, limit = 0.0, request.app.state.follow_seconds
        yield "retry: 2000\n\n"
        while waited < limit:
            events = await asyncio.to_thread(job_store.events, store, job_id)
            for index, (at, kind, message) in enumerate(events[seen:], seen + 1):
                data = JobEvent(id=index, at=at, kind=kind, message=message).model_dump_json()
                yield f"id: {index}\nevent: {kind}\ndata: {data}\n\n"
            seen = max(seen, len(events))
            current = await asyncio.to_thread(job_store.get, store, job_id)
            if current is None or current.state not in job_store.ACTIVE:
                final = JobOut.of(current).model_dump_json() if current else "{}"
                yield f"event: end\ndata: {final}\n\n"
                return
            if await request.is_disconnected():
                return
            await asyncio.sleep(EVENT_POLL_S)
            waited += EVENT_POLL_S

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


@router.post("/jobs/{job_id}/cancellation", response_model=JobOut, tags=["jobs"])
def cancel_job(request: Request, caller: Caller, job_id: int) -> JobOut:
    """Cancel a queued job, or ask a running one to stop (the requester, the project's lead, or an admin)."""
    job_flow(request, caller, job_id)
    return JobOut.of(cancel(request.app.state.store, job_id, caller.name))


@router.get("/projects/{project}/runs", response_model=list[RunView], tags=["runs"])
def runs(
    request: Request,
    caller: Caller,
    project: str,
    environment: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[RunView]:
    """The latest runs (audit, verify, plan, apply, …): the evidence the gates read."""
    return flow(request, caller, project).runs(environment, limit)


@router.get(
    "/projects/{project}/environments/{environment}/deployments", response_model=list[RunView], tags=["deployments"]
)
def deployments(
    request: Request, caller: Caller, project: str, environment: str, limit: Annotated[int, Query(ge=1, le=200)] = 20
) -> list[RunView]:
    """The deployments signed webhooks reported (ICP-3.1), newest first: commit, state, stages seen, actor."""
    return flow(request, caller, project).runs(environment, limit, kind="deploy")


class StepIn(BaseModel):
    sha: str = Field(..., min_length=7, max_length=64, pattern=r"^[0-9a-fA-F]+$")
    state: str = Field(..., description="in_progress, success, failure, error, queued, pending or inactive")
    url: str = Field("", max_length=2000, description="The pipeline job's URL ($CIRCLE_BUILD_URL)")
    workflow: str = Field("", max_length=64, description="The CircleCI workflow id ($CIRCLE_WORKFLOW_ID)")


class StepOut(BaseModel):
    environment: str
    state: str
    github_deployment: int | None
    detail: str


@router.post(
    "/projects/{project}/environments/{environment}/deployment-steps", response_model=StepOut, tags=["deployments"]
)
def report_step(request: Request, caller: Caller, project: str, environment: str, body: StepIn) -> StepOut:
    """A pipeline's deploy step reports (developer, infra or lead; a pipeline token): infragate creates the
    GitHub deployment and status for it. What the gate counts comes back as GitHub's signed webhook."""
    github = GitHub.from_environment()
    try:
        step = flow(request, caller, project).report_step(
            environment, body.sha, body.state, body.url, body.workflow, github
        )
    finally:
        if github is not None:
            github.api.close()
    return StepOut(**step.__dict__)


@router.get(
    "/projects/{project}/environments/{environment}/design-changes", response_model=DesignChanges, tags=["approvals"]
)
def design_changes(request: Request, caller: Caller, project: str, environment: str) -> DesignChanges:
    """What changed in the design since the digest a lead last approved for this environment."""
    return flow(request, caller, project).design_changes(environment)


@router.post(
    "/projects/{project}/environments/{environment}/plan-approvals", response_model=Outcome, tags=["approvals"]
)
def approve_plan(request: Request, caller: Caller, project: str, environment: str, body: PlanApprovalIn) -> Outcome:
    """Approve a reviewed plan by its digest (the project's lead): apply then changes exactly that plan."""
    flow(request, caller, project).approve_plan(body.digest, environment, body.comment)
    return Outcome(result="approved")


class StressApprovalIn(BaseModel):
    design_digest: str = Field(
        ..., pattern=r"^sha256:[0-9a-f]{64}$", description="The design digest the stress plan was reviewed from."
    )
    comment: str = Field("", max_length=2000)


class StressApprovalOut(BaseModel):
    result: str
    digest: str = Field(description="The approved stress plan's digest (scenario, load profile and caps).")


@router.post(
    "/projects/{project}/environments/{environment}/stress-approvals",
    response_model=StressApprovalOut,
    tags=["approvals"],
)
def approve_stress(
    request: Request, caller: Caller, project: str, environment: str, body: StressApprovalIn
) -> StressApprovalOut:
    """Approve the environment's stress plan (the project's lead), as the registered design makes it: a
    production stress test runs only with an approved plan (ICP-3.3)."""
    work = StressTesting(flow(request, caller, project), request.app.state.settings, environment)
    scenario = work.approve(StressOptions(), body.comment, reviewed_design=body.design_digest)
    return StressApprovalOut(result="approved", digest=scenario.digest)


@router.get("/users", response_model=list[UserOut], tags=["users"])
def users(request: Request, caller: Caller) -> list[UserOut]:
    """Every user and their roles (admins only)."""
    portfolio.require_admin(request.app.state.store, caller, "list users")
    return [UserOut(name=u.name, admin=u.admin, projects=u.projects) for u in user_roles(request.app.state.store)]


@router.post("/users", response_model=UserOut, status_code=201, tags=["users"])
def new_user(request: Request, caller: Caller, body: UserIn) -> UserOut:
    """Add a user, or make one an admin (admins only; the use-case refuses and logs anyone else)."""
    store = request.app.state.store
    portfolio.require_admin(store, caller, "manage users")  # within the token's scope, then the use-case decides
    add_user(store, caller.name, body.name, admin=body.admin, email=body.email)
    (made,) = user_roles(store, body.name)
    return UserOut(name=made.name, admin=made.admin, projects=made.projects)


@router.put("/users/{name}/password", response_model=Outcome, tags=["users"])
def reset_password(request: Request, caller: Caller, name: str, body: PasswordIn) -> Outcome:
    """Set a user's password (admins only): how an admin resets a forgotten one."""
    portfolio.require_admin(request.app.state.store, caller, "set another user's password")
    accounts.set_password(request.app.state.store, caller.name, name, body.password)
    return Outcome(result="password set")
