"""The web dashboard: server-rendered pages (Jinja2), plain forms with CSRF tokens, no build step.

Every page reads through the same queries as the CLI and the API, and every form runs the same command; a
refusal is shown on the page it came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from infragate.errors import AuthenticationError, InfragateError, UsageError
from infragate.model import Role
from infragate.web.principals import SESSION_COOKIE, optional_principal, signed_in
from infragate.web.problems import status_for
from infragate.web.routes import unit_of_work
from infragate.workflow import accounts
from infragate.workflow.approvals import ApproveDesign
from infragate.workflow.bus import R, handle
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.design_review import GetDesignChanges, GetDesignDocuments, GetLatestPlan, ListDeployments
from infragate.workflow.gatekeeping import EvaluateGates, Launch
from infragate.workflow.job_requests import GetJobLog, ListJobs
from infragate.workflow.messages import AnyCommand, Command
from infragate.workflow.pentests import FindPentest
from infragate.workflow.portfolio import Portfolio, PortfolioRow
from infragate.workflow.signoffs import SignChecklistItem
from infragate.workflow.stages import registry
from infragate.workflow.triage import FindingStatus, ListFindings, ResolveFinding

router = APIRouter(include_in_schema=False)
FINDINGS_SHOWN = 50
ACTIVE_JOBS = ("queued", "running")

templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")


def _page(request: Request, name: str, context: Mapping[str, object], status: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, name, dict(context), status_code=status)


def _signed_in(request: Request) -> Caller | None:
    try:
        return optional_principal(request)
    except AuthenticationError:
        return None


def _to_login() -> RedirectResponse:
    return RedirectResponse("/login", status_code=303)


def _csrf_ok(caller: Caller, token: str) -> bool:
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
    try:
        user = accounts.authenticate(request.app.state.uow.store, name, password)
    except AuthenticationError as refused:
        return login_page(request, refused.message, name, status=401)
    return signed_in(request, user)


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")) -> Response:
    caller = _signed_in(request)
    if caller is not None and _csrf_ok(caller, csrf):
        accounts.end_session(request.app.state.uow.store, request.cookies.get(SESSION_COOKIE, ""))
    response = _to_login()
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, client: str | None = None, stage: str | None = None) -> Response:
    caller = _signed_in(request)
    if caller is None:
        return _to_login()
    uow, every = unit_of_work(request), list[PortfolioRow]()
    while True:  # every environment the caller may see, a page at a time (a page is at most 200)
        page = handle(Portfolio(offset=len(every), limit=200), caller, uow)
        every += page.items
        if not page.items or len(every) >= page.total:
            break
    clients = sorted({row.client for row in every})
    rows = [r for r in every if (not client or r.client == client) and (not stage or r.stage == stage)]
    context = {
        "me": caller,
        "rows": rows,
        "clients": clients,
        "client": client,
        "stage": stage,
        "stages": list(registry().order),
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
    request: Request, caller: Caller, project: str, environment: str, *, done: str, error: str, status: int = 200
) -> HTMLResponse:
    uow = unit_of_work(request)

    def ask(command: Command[R]) -> R:
        return handle(command, caller, uow)

    where = {"project": project, "environment": environment}
    report = ask(EvaluateGates(**where))
    # Most severe first, then the soonest due: a page of forms stays usable; the API and CLI list them all.
    findings = ask(ListFindings(project=project, environment=environment, limit=FINDINGS_SHOWN))
    context: dict[str, object] = {
        "me": caller,
        "project": project,
        "environment": environment,
        "report": report,
        "digest": uow.designs.of(project).digest,
        "checklist": report.checklist,
        "findings": findings.items,
        "findings_total": findings.total,
        "done": done,
        "error": error,
        "statuses": [s.value for s in FindingStatus if s.value not in ("open", "in-progress")],
        "roles": [Role.LEAD.value, Role.SECURITY.value],
        "changes": ask(GetDesignChanges(**where)),
        "docs": ask(GetDesignDocuments(**where)).folder is not None,
        "plan": ask(GetLatestPlan(**where)).plan,
        "job_kinds": [kind for kind in registry().jobs if kind not in ("apply", "stress")],
        "deployments": list(ask(ListDeployments(project=project, environment=environment, limit=10))),
        "pentest": ask(FindPentest(**where)).engagement,
    }
    context |= activity_context(uow, caller, project, environment)
    return _page(request, "environment.html", context, status=status)


def activity_context(uow: UnitOfWork, caller: Caller, project: str, environment: str) -> dict[str, object]:
    """The environment's latest jobs (with the last lines of the running ones) and runs."""
    from infragate.workflow.design_review import ListRuns

    jobs = [
        job for job in handle(ListJobs(project=project, limit=50), caller, uow).items if job.environment == environment
    ]
    jobs = jobs[:10]
    logs = {
        job.id: list(handle(GetJobLog(job_id=job.id), caller, uow))[-5:] for job in jobs if job.state in ACTIVE_JOBS
    }
    runs = handle(ListRuns(project=project, environment=environment, limit=10), caller, uow)
    return {"jobs": jobs, "job_logs": logs, "live": bool(logs), "runs": list(runs)}


def act(request: Request, project: str, environment: str, csrf: str, command: AnyCommand | None, done: str) -> Response:
    """Run a form's command as the signed-in person, then show the page again (with the refusal, if any)."""
    caller = _signed_in(request)
    if caller is None:
        return _to_login()
    back = f"/projects/{quote(project)}/environments/{quote(environment)}"
    if not _csrf_ok(caller, csrf):
        return _environment(
            request, caller, project, environment, done="", error="The form expired; try again.", status=403
        )
    try:
        if command is None:
            raise UsageError("the form is not filled in as it should be", hint="Choose one of the options.")
        handle(command, caller, unit_of_work(request))
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
    command = ApproveDesign(
        project=project, environment=environment, comment=comment, role=as_role, digest=digest or None
    )
    return act(request, project, environment, csrf, command, "design decision recorded")


@router.post("/projects/{project}/environments/{environment}/checklist/{key}")
def sign(
    request: Request,
    project: str,
    environment: str,
    key: str,
    csrf: str = Form(""),
    comment: str = Form("", max_length=2000),
) -> Response:
    command = SignChecklistItem(project=project, environment=environment, key=key, comment=comment)
    return act(request, project, environment, csrf, command, f"{key} signed")


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
    chosen = next((s for s in FindingStatus if s.value == status), None)
    command = (
        ResolveFinding(project=project, finding_id=finding_id, status=chosen, note=note) if chosen is not None else None
    )
    return act(request, project, environment, csrf, command, f"finding {finding_id} updated")


@router.post("/projects/{project}/environments/{environment}/launch")
def launch(request: Request, project: str, environment: str, csrf: str = Form("")) -> Response:
    return act(request, project, environment, csrf, Launch(project=project, environment=environment), "launched")
