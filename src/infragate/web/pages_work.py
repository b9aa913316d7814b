"""Dashboard pages for the work around decisions: asking for jobs and watching them (an HTMX fragment that
refreshes itself while a job runs), approving a plan, assigning findings, the design documents of the current
digest, and the audit log with its verification status. The use-cases decide, as everywhere."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from infragate.errors import InfragateError, NotFoundError
from infragate.web.pages import _page, _signed_in, _to_login, act, activity_context
from infragate.web.problems import status_for
from infragate.web.routes import unit_of_work
from infragate.workflow.approvals import ApprovePlan
from infragate.workflow.audit_trail import ReadAuditLog
from infragate.workflow.bus import handle
from infragate.workflow.design_review import GetDesignDocuments
from infragate.workflow.job_requests import RequestJob
from infragate.workflow.triage import AssignFinding

router = APIRouter(include_in_schema=False)
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")
# Design documents are our own HTML with an inline stylesheet and no script: shown sandboxed, styles allowed.
DOCS_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"
AUDIT_PAGE = 200  # entries shown, newest first


@router.post("/projects/{project}/environments/{environment}/jobs")
def request_job(
    request: Request, project: str, environment: str, csrf: str = Form(""), kind: str = Form("", max_length=40)
) -> Response:
    command = RequestJob(project=project, environment=environment, kind=kind)
    return act(request, project, environment, csrf, command, f"{kind} job queued")


@router.post("/projects/{project}/environments/{environment}/plan-approval")
def approve_plan(
    request: Request,
    project: str,
    environment: str,
    csrf: str = Form(""),
    digest: str = Form("", max_length=80),
    comment: str = Form("", max_length=2000),
) -> Response:
    try:
        command = ApprovePlan(project=project, environment=environment, digest=digest, comment=comment)
    except ValueError:
        command = None  # not a plan's digest: the page says the form is wrong
    return act(request, project, environment, csrf, command, f"plan {digest[:19]}… approved")


@router.post("/projects/{project}/environments/{environment}/findings/{finding_id}/assignee")
def assign(
    request: Request,
    project: str,
    environment: str,
    finding_id: int,
    csrf: str = Form(""),
    user: str = Form("", max_length=120),
) -> Response:
    command = AssignFinding(project=project, finding_id=finding_id, user=user)
    return act(request, project, environment, csrf, command, f"finding {finding_id} assigned")


@router.get("/projects/{project}/environments/{environment}/activity", response_class=HTMLResponse)
def activity(request: Request, project: str, environment: str) -> Response:
    """The jobs and runs of the environment, as a fragment: the page swaps it in every two seconds while a
    job is queued or running, and stops when none is."""
    caller = _signed_in(request)
    if caller is None:
        return _to_login()
    try:
        context = activity_context(unit_of_work(request), caller, project, environment)
    except InfragateError as refused:
        return _page(request, "refusal.html", {"error": refused}, status=status_for(refused))
    return _page(request, "activity.html", {"project": project, "environment": environment, **context})


@router.get("/projects/{project}/environments/{environment}/docs/{name}")
def design_document(request: Request, project: str, environment: str, name: str) -> Response:
    """The design documents drawn from the current digest: index.html and the diagrams it shows."""
    caller = _signed_in(request)
    if caller is None:
        return _to_login()
    try:
        found = handle(GetDesignDocuments(project=project, environment=environment), caller, unit_of_work(request))
        folder = Path(found.folder) if found.folder is not None else None
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
    try:
        page = handle(ReadAuditLog(limit=AUDIT_PAGE), caller, unit_of_work(request))
    except InfragateError as refused:
        return _page(request, "error.html", {"me": caller, "error": refused}, status=status_for(refused))
    return _page(request, "audit_log.html", {"me": caller, "result": page.status, "entries": page.entries})
