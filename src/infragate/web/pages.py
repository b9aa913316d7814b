"""The web dashboard: server-rendered pages (Jinja2), plain forms with CSRF tokens, no build step.

Every action calls the same use-case as the CLI and the API; a refusal is shown on the page it came from.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from infragate.errors import AuthenticationError, InfragateError, UsageError
from infragate.model import Role
from infragate.policy import Severity
from infragate.store.findings import FindingStatus
from infragate.store.timestamps import as_utc
from infragate.web.principals import SESSION_COOKIE, optional_principal, signed_in
from infragate.web.problems import status_for
from infragate.workflow import accounts, portfolio
from infragate.workflow.accounts import Principal
from infragate.workflow.pentests import Pentesting
from infragate.workflow.stages import GATED

router = APIRouter(include_in_schema=False)
FINDINGS_SHOWN = 50


def _due(at: datetime | None) -> float:
    return as_utc(at).timestamp() if at is not None else float("inf")


templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status)


def _signed_in(request: Request) -> Principal | None:
    try:
        return optional_principal(request)
    except AuthenticationError:
        return None


def _to_login() -> RedirectResponse:
    return RedirectResponse("/login", status_code=303)


def _csrf_ok(caller: Principal, token: str) -> bool:
    return bool(caller.csrf_token) and accounts.same_secret(caller.csrf_token, token)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return login_page(request, None)


def login_page(request: Request, error: str | None, name: str = "", status: int = 200) -> HTMLResponse:
    """The sign-in page, with the single sign-on button when the organisation has one."""
    sso = request.app.state.sso
    context = {"error": error, "name": name, "sso_label": sso.settings.label if sso else None}
    return _page(request, "login.html", context, status=status)


@router.post("/login")
def login(
    request: Request, name: str = Form(..., max_length=120), password: str = Form(..., max_length=1024)
) -> Response:
    address = request.client.host if request.client else "unknown"
    if not request.app.state.sign_in.allow(address):
        error = "Too many sign-in attempts from this address; wait a minute."
        return login_page(request, error, name, status=429)
    store = request.app.state.store
    try:
        user = accounts.authenticate(store, name, password)
    except AuthenticationError as refused:
        return login_page(request, refused.message, name, status=401)
    return signed_in(request, user)


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")) -> Response:
    caller = _signed_in(request)
    if caller is not None and _csrf_ok(caller, csrf):
        accounts.end_session(request.app.state.store, request.cookies.get(SESSION_COOKIE, ""))
    response = _to_login()
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, client: str | None = None, stage: str | None = None) -> Response:
    caller = _signed_in(request)
    if caller is None:
        return _to_login()
    store = request.app.state.store
    every = portfolio.portfolio(store, caller)
    clients = sorted({row.client for row in every})
    rows = [r for r in every if (not client or r.client == client) and (not stage or r.stage == stage)]
    context = {
        "me": caller,
        "rows": rows,
        "clients": clients,
        "client": client,
        "stage": stage,
        "stages": [s.value for s in GATED] + ["launched"],
    }
    return _page(request, "portfolio.html", context)


@router.get("/projects/{project}/environments/{environment}", response_class=HTMLResponse)
def environment_page(request: Request, project: str, environment: str, done: str = "", error: str = "") -> Response:
    caller = _signed_in(request)
    if caller is None:
        return _to_login()
    try:
        return _environment(request, caller, project, environment, done=done, error=error)
    except InfragateError as refused:
        return _page(request, "error.html", {"me": caller, "error": refused}, status=status_for(refused))


def _environment(
    request: Request, caller: Principal, project: str, environment: str, *, done: str, error: str, status: int = 200
) -> HTMLResponse:
    flow = portfolio.workflow_for(request.app.state.store, project, caller)
    report = flow.gate_report(environment)
    # Most severe first, then the soonest due: a page of forms stays usable; the API and CLI list them all.
    findings = sorted(flow.findings(environment), key=lambda f: (-Severity(f.severity).rank, _due(f.due_at), f.id))
    evidence = report.evidence
    context = {
        "me": caller,
        "project": project,
        "environment": environment,
        "report": report,
        "stages": GATED,
        "digest": flow.design.digest,
        "checklist": evidence.checklist,
        "findings": findings[:FINDINGS_SHOWN],
        "findings_total": len(findings),
        "done": done,
        "error": error,
        "statuses": [s.value for s in FindingStatus if s.value not in ("open", "in-progress")],
        "roles": [Role.LEAD.value, Role.SECURITY.value],
        "changes": flow.design_changes(environment),
        "docs": flow.design_documents(environment) is not None,
        "plan": flow.latest_plan(environment),
        "job_kinds": ["verify", "audit", "drift", "test", "scan", "drill"],
        "deployments": flow.runs(environment, limit=10, kind="deploy"),
        "pentest": Pentesting(flow, request.app.state.settings.home, environment).status(),
    }
    from infragate.web.pages_work import activity_context  # the activity fragment is that module's

    context |= activity_context(flow, environment)
    return _page(request, "environment.html", context, status=status)


def _act(request: Request, project: str, environment: str, csrf: str, action: Any, done: str) -> Response:
    caller = _signed_in(request)
    if caller is None:
        return _to_login()
    back = f"/projects/{quote(project)}/environments/{quote(environment)}"
    if not _csrf_ok(caller, csrf):
        return _environment(
            request, caller, project, environment, done="", error="The form expired; try again.", status=403
        )
    try:
        action(portfolio.workflow_for(request.app.state.store, project, caller))
    except InfragateError as refused:
        return _environment(
            request, caller, project, environment, done="", error=refused.message, status=status_for(refused)
        )
    return RedirectResponse(f"{back}?done={quote(done)}", status_code=303)


@router.post("/projects/{project}/environments/{environment}/approve")
def approve(
    request: Request,
    project: str,
    environment: str,
    csrf: str = Form(""),
    comment: str = Form("", max_length=2000),
    role: str = Form(""),
    digest: str = Form("", max_length=80),
) -> Response:
    as_role = Role(role) if role in (Role.LEAD.value, Role.SECURITY.value) else None
    return _act(
        request,
        project,
        environment,
        csrf,
        lambda f: f.approve_design(environment, comment, as_role=as_role, digest=digest or None),
        "design decision recorded",
    )


@router.post("/projects/{project}/environments/{environment}/checklist/{key}")
def sign(
    request: Request,
    project: str,
    environment: str,
    key: str,
    csrf: str = Form(""),
    comment: str = Form("", max_length=2000),
) -> Response:
    return _act(request, project, environment, csrf, lambda f: f.sign(environment, key, comment), f"{key} signed")


@router.post("/projects/{project}/environments/{environment}/findings/{finding_id}")
def resolve(
    request: Request,
    project: str,
    environment: str,
    finding_id: int,
    csrf: str = Form(""),
    status: str = Form(""),
    note: str = Form("", max_length=2000),
) -> Response:
    def run(flow: Any) -> None:
        if status not in {s.value for s in FindingStatus}:
            raise UsageError(f"'{status}' is not a resolution", hint="Choose one from the list.")
        flow.resolve(finding_id, FindingStatus(status), note)

    return _act(request, project, environment, csrf, run, f"finding {finding_id} updated")


@router.post("/projects/{project}/environments/{environment}/launch")
def launch(request: Request, project: str, environment: str, csrf: str = Form("")) -> Response:
    return _act(request, project, environment, csrf, lambda f: f.launch(environment), "launched")
