"""Dashboard pages for the work around decisions: asking for jobs and watching them (an HTMX fragment that
refreshes itself while a job runs), approving a plan, assigning findings, the design documents of the current
digest, and the audit log with its verification status. The use-cases decide, as everywhere."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from infragate.errors import InfragateError, NotFoundError
from infragate.jobs.queue import make_queue
from infragate.store import audit_log
from infragate.store import jobs as job_store
from infragate.web.pages import _act, _page, _signed_in, _to_login
from infragate.web.problems import status_for
from infragate.workflow import audit_trail, portfolio

router = APIRouter(include_in_schema=False)
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")
# Design documents are our own HTML with an inline stylesheet and no script: shown sandboxed, styles allowed.
DOCS_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"
AUDIT_PAGE = 200  # entries shown, newest first


@router.post("/projects/{project}/environments/{environment}/jobs")
def request_job(
    request: Request, project: str, environment: str, csrf: str = Form(""), kind: str = Form("")
) -> Response:
    def run(flow: Any) -> None:
        job = flow.request_job(environment, kind)
        make_queue(request.app.state.settings).enqueue(job.id)

    return _act(request, project, environment, csrf, run, f"{kind} job queued")


@router.post("/projects/{project}/environments/{environment}/plan-approval")
def approve_plan(
    request: Request,
    project: str,
    environment: str,
    csrf: str = Form(""),
    digest: str = Form("", max_length=80),
    comment: str = Form("", max_length=2000),
) -> Response:
    return _act(
        request,
        project,
        environment,
        csrf,
        lambda f: f.approve_plan(digest, environment, comment),
        f"plan {digest[:19]}… approved",
    )


@router.post("/projects/{project}/environments/{environment}/findings/{finding_id}/assignee")
def assign(
    request: Request,
    project: str,
    environment: str,
    finding_id: int,
    csrf: str = Form(""),
    user: str = Form("", max_length=120),
) -> Response:
    return _act(
        request, project, environment, csrf, lambda f: f.assign(finding_id, user), f"finding {finding_id} assigned"
    )


@router.get("/projects/{project}/environments/{environment}/activity", response_class=HTMLResponse)
def activity(request: Request, project: str, environment: str) -> Response:
    """The jobs and runs of the environment, as a fragment: the page swaps it in every two seconds while a
    job is queued or running, and stops when none is."""
    caller = _signed_in(request)
    if caller is None:
        return _to_login()
    try:
        flow = portfolio.workflow_for(request.app.state.store, project, caller)
        context = activity_context(flow, environment)
    except InfragateError as refused:
        return HTMLResponse(f"<p class='error'>{refused.message}</p>", status_code=status_for(refused))
    return _page(request, "activity.html", {"project": project, "environment": environment, **context})


def activity_context(flow: Any, environment: str) -> dict[str, Any]:
    jobs = [job for job in flow.jobs(limit=50) if job.environment == environment][:10]
    store = flow.store
    logs = {job.id: job_store.events(store, job.id)[-5:] for job in jobs if job.state in job_store.ACTIVE}
    return {
        "jobs": jobs,
        "job_logs": logs,
        "live": bool(logs),
        "runs": flow.runs(environment, limit=10),
    }


@router.get("/projects/{project}/environments/{environment}/docs/{name}")
def design_document(request: Request, project: str, environment: str, name: str) -> Response:
    """The design documents drawn from the current digest: index.html and the diagrams it shows."""
    caller = _signed_in(request)
    if caller is None:
        return _to_login()
    try:
        folder = portfolio.workflow_for(request.app.state.store, project, caller).design_documents(environment)
        if folder is None or not SAFE_NAME.match(name) or not (folder / name).is_file():
            raise NotFoundError(f"no design document '{name}' for this digest", hint="Run `infragate design docs`.")
    except InfragateError as refused:
        return _page(request, "error.html", {"me": caller, "error": refused}, status=status_for(refused))
    response = FileResponse(folder / name)
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response


@router.get("/audit-log", response_class=HTMLResponse)
def audit_log_page(request: Request) -> Response:
    """The audit log (admins): whether it verifies against its signed checkpoints, and its latest entries."""
    caller = _signed_in(request)
    if caller is None:
        return _to_login()
    store = request.app.state.store
    try:
        portfolio.require_admin(store, caller)
    except InfragateError as refused:
        return _page(request, "error.html", {"me": caller, "error": refused}, status=status_for(refused))
    result = audit_trail.verify(store)
    with store.session() as session:
        entries = audit_log.entries(session)[-AUDIT_PAGE:][::-1]
    return _page(request, "audit_log.html", {"me": caller, "result": result, "entries": entries})
