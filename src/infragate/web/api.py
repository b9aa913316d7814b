"""The API routes with a shape of their own: signing in for a token (rate limited per address), reports as
files in several formats, and a job followed as server-sent events. Each still runs its use-case through the
bus; the other routes are made from the commands (``web.routes``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from infragate.errors import TooManyAttemptsError
from infragate.reporting import render_compliance_html, render_compliance_pdf
from infragate.reporting.frameworks import render_framework_csv, render_framework_html, render_framework_pdf
from infragate.web.principals import principal
from infragate.web.problems import PROBLEM_RESPONSES
from infragate.web.routes import unit_of_work
from infragate.workflow.accounts import NewToken, SignIn
from infragate.workflow.bus import handle
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.job_requests import GetJob, GetJobLog, JobEvent, JobEvents, JobOut
from infragate.workflow.report import GetComplianceReport, GetFrameworkReport

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)
CallerDep = Annotated[Caller, Depends(principal)]
EVENT_POLL_S = 0.5  # how often a followed job's new events are looked for
ENVIRONMENT = "/projects/{project}/environments/{environment}"
MEDIA = {
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
}
NOBODY = Caller("", via="anonymous")


class ReportFormat(StrEnum):
    JSON = "json"
    HTML = "html"
    PDF = "pdf"


class FrameworkFormat(StrEnum):
    JSON = "json"
    HTML = "html"
    PDF = "pdf"
    CSV = "csv"


@router.post("/auth/token", response_model=NewToken, status_code=201, tags=["identity"])
def sign_in_for_a_token(request: Request, body: SignIn) -> NewToken:
    """Exchange a user name and password for a personal API token (what `infragate login` does). Rate limited
    and locked after failures like the dashboard's sign-in; the token is shown only in this answer."""
    address = request.client.host if request.client else "unknown"
    if not request.app.state.sign_in.allow(address):
        raise TooManyAttemptsError("too many sign-in attempts from this address", hint="Wait a minute.")
    return handle(body, NOBODY, unit_of_work(request))


@router.get(
    ENVIRONMENT + "/report",
    tags=["reports"],
    response_class=Response,
    responses={200: {"content": {MEDIA[f]: {} for f in ReportFormat}, "description": "The report"}},
)
def report(
    request: Request, caller: CallerDep, project: str, environment: str, format: ReportFormat = ReportFormat.JSON
) -> Response:
    """The compliance report of an environment (ICP-6.1), as JSON, HTML or PDF."""
    data = handle(GetComplianceReport(project=project, environment=environment), caller, unit_of_work(request))
    if format is ReportFormat.JSON:
        body: bytes = data.model_dump_json(indent=2).encode()
    elif format is ReportFormat.HTML:
        body = render_compliance_html(data).encode()
    else:
        body = render_compliance_pdf(data)
    return download(body, MEDIA[format.value], f"{project}-{environment}.{format.value}")


@router.get(
    ENVIRONMENT + "/frameworks/{framework}",
    tags=["compliance"],
    response_class=Response,
    responses={200: {"content": {MEDIA[f]: {} for f in FrameworkFormat}, "description": "The report"}},
)
def framework_report(
    request: Request,
    caller: CallerDep,
    project: str,
    environment: str,
    framework: str,
    format: FrameworkFormat = FrameworkFormat.JSON,
) -> Response:
    """Each requirement of the framework judged for the environment: pass, fail, manual, not applicable or not
    evaluated, with its evidence and date."""
    asked = GetFrameworkReport(project=project, environment=environment, framework=framework)
    data = handle(asked, caller, unit_of_work(request))
    if format is FrameworkFormat.JSON:
        body: bytes = data.model_dump_json(indent=2).encode()
    elif format is FrameworkFormat.HTML:
        body = render_framework_html(data).encode()
    elif format is FrameworkFormat.CSV:
        body = render_framework_csv(data).encode()
    else:
        body = render_framework_pdf(data)
    return download(body, MEDIA[format.value], f"{project}-{environment}-{framework}.{format.value}")


def download(body: bytes, media_type: str, name: str) -> Response:
    """A report as a file to save (its name given), not a page to show."""
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get(
    "/jobs/{job_id}/events",
    tags=["jobs"],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-sent events"}},
)
async def job_events(
    request: Request, caller: CallerDep, job_id: Annotated[int, Path(ge=1, le=2**63 - 1)]
) -> StreamingResponse:
    """Follow a job as server-sent events: each progress or log line as a `progress` or `log` event (data is a
    JobEvent), then one `end` event with the job, when it has finished. Resume with Last-Event-ID."""
    uow = unit_of_work(request)
    await run_in_threadpool(handle, GetJob(job_id=job_id), caller, uow)  # 404 now, before the stream starts
    resume = request.headers.get("last-event-id", "0")
    seen = int(resume) if resume.isdigit() else 0

    async def stream() -> AsyncIterator[str]:
        nonlocal seen
        waited, limit = 0.0, request.app.state.follow_seconds
        yield "retry: 2000\n\n"
        while waited < limit:
            events = await run_in_threadpool(_log_after, GetJobLog(job_id=job_id, after=seen), caller, uow)
            for event in events:
                yield _event(event)
                seen = max(seen, event.id)
            current = await run_in_threadpool(_job, GetJob(job_id=job_id), caller, uow)
            if current.state not in ("queued", "running"):
                yield f"event: end\ndata: {current.model_dump_json()}\n\n"
                return
            if await request.is_disconnected():
                return
            await asyncio.sleep(EVENT_POLL_S)
            waited += EVENT_POLL_S

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


def _log_after(asked: GetJobLog, caller: Caller, uow: UnitOfWork) -> JobEvents:
    return handle(asked, caller, uow)


def _job(asked: GetJob, caller: Caller, uow: UnitOfWork) -> JobOut:
    return handle(asked, caller, uow)


def _event(event: JobEvent) -> str:
    return f"id: {event.id}\nevent: {event.kind}\ndata: {json.dumps(event.model_dump(mode='json'))}\n\n"
