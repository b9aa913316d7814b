"""The REST API, /api/v1: typed with the application layer's models; authorisation stays in the use-cases."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Generic, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from infragate.errors import TooManyAttemptsError
from infragate.model import Role
from infragate.reporting import render_compliance_html, render_compliance_pdf
from infragate.store.findings import FindingStatus
from infragate.store.memberships import Member
from infragate.web.principals import principal
from infragate.web.problems import PROBLEM_RESPONSES
from infragate.workflow import accounts, audit_trail, portfolio
from infragate.workflow.accounts import Principal, TokenInfo
from infragate.workflow.memberships import MembershipChange
from infragate.workflow.portfolio import PortfolioRow
from infragate.workflow.report import compliance_report
from infragate.workflow.service import Workflow

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)
Caller = Annotated[Principal, Depends(principal)]
T = TypeVar("T")


class ReportFormat(StrEnum):
    JSON = "json"
    HTML = "html"
    PDF = "pdf"


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int


class Me(BaseModel):
    name: str
    via: str
    admin: bool
    projects: dict[str, list[str]]


class CriterionOut(BaseModel):
    stage: str
    clause: str
    criterion: str
    verdict: str
    detail: str
    role: str


class GatesOut(BaseModel):
    project: str
    environment: str
    stage: str
    attestation: str
    next_step: str
    criteria: list[CriterionOut]


class FindingOut(BaseModel):
    id: int
    environment: str
    rule: str
    component: str
    severity: str
    status: str
    title: str
    due: datetime | None


class ApprovalIn(BaseModel):
    comment: str = Field("", max_length=2000)
    role: Role | None = None
    digest: str | None = Field(None, description="The digest the person reviewed; refused when the design changed.")


class SignIn(BaseModel):
    comment: str = Field(..., min_length=1, max_length=2000)


class ResolutionIn(BaseModel):
    status: FindingStatus
    note: str = Field(..., min_length=1, max_length=2000)


class Outcome(BaseModel):
    result: str


class TokenIn(BaseModel):
    name: str = Field(..., min_length=1, max_length=120)
    projects: list[str] = []
    roles: list[Role] = []
    days: int = Field(30, ge=1, le=366)


class NewToken(TokenInfo):
    token: str = Field(description="Shown only now: infragate keeps only its hash.")


class AuditLogStatus(BaseModel):
    intact: bool
    checked: int
    anchored: bool
    problems: list[str]
    head_id: int | None


def flow(request: Request, caller: Principal, project: str) -> Workflow:
    return portfolio.workflow_for(request.app.state.store, project, caller)


@router.get("/me", response_model=Me, tags=["identity"])
def me(request: Request, caller: Caller) -> Me:
    roles = portfolio.roles_of(request.app.state.store, caller)
    return Me(name=caller.name, via=caller.via, admin=roles.admin, projects=roles.projects)


@router.get("/portfolio", response_model=Page[PortfolioRow], tags=["projects"])
def environments(
    request: Request,
    caller: Caller,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    client: str | None = None,
    stage: str | None = None,
) -> Page[PortfolioRow]:
    rows = portfolio.portfolio(request.app.state.store, caller, client=client, stage=stage)
    return Page[PortfolioRow](items=rows[offset : offset + limit], total=len(rows), offset=offset, limit=limit)


@router.get("/projects/{project}/environments/{environment}/gates", response_model=GatesOut, tags=["gates"])
def gates(request: Request, caller: Caller, project: str, environment: str) -> GatesOut:
    report = flow(request, caller, project).gate_report(environment)
    criteria = [
        CriterionOut(stage=s.value, clause=c.clause, criterion=c.text, verdict=c.verdict, detail=c.detail, role=c.role)
        for s, cs in report.results.items()
        for c in cs
    ]
    return GatesOut(
        project=project,
        environment=environment,
        stage=report.stage.value,
        attestation="server: authenticated",
        next_step=report.next_step(),
        criteria=criteria,
    )


@router.get("/projects/{project}/findings", response_model=Page[FindingOut], tags=["findings"])
def findings(
    request: Request,
    caller: Caller,
    project: str,
    environment: str | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[FindingOut]:
    found = flow(request, caller, project).findings(environment)
    items = [
        FindingOut(
            id=f.id,
            environment=f.environment,
            rule=f.rule_id,
            component=f.component,
            severity=f.severity,
            status=f.status,
            title=f.title,
            due=f.due_at,
        )
        for f in found[offset : offset + limit]
    ]
    return Page[FindingOut](items=items, total=len(found), offset=offset, limit=limit)


@router.post(
    "/projects/{project}/environments/{environment}/design-approvals", response_model=Outcome, tags=["approvals"]
)
def approve_design(request: Request, caller: Caller, project: str, environment: str, body: ApprovalIn) -> Outcome:
    return Outcome(
        result=flow(request, caller, project).approve_design(
            environment, body.comment, as_role=body.role, digest=body.digest
        )
    )


@router.post(
    "/projects/{project}/environments/{environment}/checklist/{key}/signatures",
    response_model=Outcome,
    tags=["checklist"],
)
def sign(request: Request, caller: Caller, project: str, environment: str, key: str, body: SignIn) -> Outcome:
    flow(request, caller, project).sign(environment, key, body.comment)
    return Outcome(result="signed")


class AssigneeIn(BaseModel):
    user: str = Field(..., min_length=1, max_length=120)


@router.put("/projects/{project}/findings/{finding_id}/assignee", response_model=Outcome, tags=["findings"])
def assign(request: Request, caller: Caller, project: str, finding_id: int, body: AssigneeIn) -> Outcome:
    """Assign a finding to the person who will fix it (lead or security)."""
    flow(request, caller, project).assign(finding_id, body.user)
    return Outcome(result=f"assigned to {body.user}")


class ChecklistItemOut(BaseModel):
    key: str
    title: str
    area: str
    clause: str
    kind: str  # automatic (met by evidence) or manual (signed by its role)
    role: str
    status: str  # met, open, or not applicable
    detail: str


@router.get(
    "/projects/{project}/environments/{environment}/checklist",
    response_model=list[ChecklistItemOut],
    tags=["checklist"],
)
def checklist(request: Request, caller: Caller, project: str, environment: str) -> list[ChecklistItemOut]:
    """The pre-launch checklist (ICP-5.1–5.3): each item met or open, by what evidence or whose signature."""
    evidence = flow(request, caller, project).evidence(environment)
    return [
        ChecklistItemOut(
            key=item.spec.key,
            title=item.spec.title,
            area=item.spec.area,
            clause=item.spec.clause,
            kind="automatic" if item.spec.automatic else "manual",
            role=item.spec.role.value,
            status="open" if not item.met else "not applicable" if item.detail.startswith("not applicable") else "met",
            detail=item.detail,
        )
        for item in evidence.checklist
    ]


@router.post("/projects/{project}/findings/{finding_id}/resolution", response_model=Outcome, tags=["findings"])
def resolve(request: Request, caller: Caller, project: str, finding_id: int, body: ResolutionIn) -> Outcome:
    flow(request, caller, project).resolve(finding_id, body.status, body.note)
    return Outcome(result=body.status.value)


@router.post("/projects/{project}/environments/{environment}/launch", response_model=Outcome, tags=["gates"])
def launch(request: Request, caller: Caller, project: str, environment: str) -> Outcome:
    report = flow(request, caller, project).launch(environment)
    return Outcome(result=report.stage.value)


@router.get("/audit-log", response_model=AuditLogStatus, tags=["audit log"])
def audit_log_status(request: Request, caller: Caller) -> AuditLogStatus:
    portfolio.require_admin(request.app.state.store, caller)
    result = audit_trail.verify(request.app.state.store)
    return AuditLogStatus(
        intact=result.intact,
        checked=result.checked,
        anchored=result.anchored,
        problems=[f"entry {b.entry_id}: {b.reason}" for b in result.breaks],
        head_id=result.latest.head.head_id if result.latest else None,
    )


class CredentialsIn(BaseModel):
    name: str = Field(..., min_length=1, max_length=120)
    password: str = Field(..., min_length=1, max_length=1024)
    token_name: str = Field("infragate CLI", min_length=1, max_length=120)
    days: int = Field(30, ge=1, le=366)


@router.post("/auth/token", response_model=NewToken, status_code=201, tags=["identity"])
def sign_in_for_a_token(request: Request, body: CredentialsIn) -> NewToken:
    """Exchange a user name and password for a personal API token (what `infragate login` does). Rate limited
    and locked after failures like the dashboard's sign-in; the token is shown only in this answer."""
    address = request.client.host if request.client else "unknown"
    if not request.app.state.sign_in.allow(address):
        raise TooManyAttemptsError("too many sign-in attempts from this address", hint="Wait a minute.")
    store = request.app.state.store
    user = accounts.authenticate(store, body.name, body.password)
    info, secret = accounts.create_token(store, user, body.token_name, projects=[], roles=[], days=body.days)
    return NewToken(**info.model_dump(), token=secret)


@router.get("/tokens", response_model=list[TokenInfo], tags=["identity"])
def list_tokens(request: Request, caller: Caller) -> list[TokenInfo]:
    return accounts.tokens(request.app.state.store, caller.name)


@router.post("/tokens", response_model=NewToken, status_code=201, tags=["identity"])
def new_token(request: Request, caller: Caller, body: TokenIn) -> NewToken:
    portfolio.require_session(caller)  # a token never mints tokens: a person signs in to make one
    info, secret = accounts.create_token(
        request.app.state.store,
        caller.name,
        body.name,
        projects=body.projects,
        roles=[r.value for r in body.roles],
        days=body.days,
    )
    return NewToken(**info.model_dump(), token=secret)


@router.delete("/tokens/{token_id}", response_model=TokenInfo, tags=["identity"])
def revoke(request: Request, caller: Caller, token_id: int) -> TokenInfo:
    return accounts.revoke_token(request.app.state.store, caller.name, token_id)


class MemberIn(BaseModel):
    user: str = Field(..., min_length=1, max_length=120)
    role: Role


@router.get("/projects/{project}/members", response_model=list[Member], tags=["members"])
def members(request: Request, caller: Caller, project: str) -> list[Member]:
    return flow(request, caller, project).members()


@router.post("/projects/{project}/members", response_model=MembershipChange, status_code=201, tags=["members"])
def add_member(request: Request, caller: Caller, project: str, body: MemberIn) -> MembershipChange:
    return flow(request, caller, project).add_member(body.user, body.role)


@router.delete("/projects/{project}/members/{user}/{role}", response_model=MembershipChange, tags=["members"])
def remove_member(request: Request, caller: Caller, project: str, user: str, role: Role) -> MembershipChange:
    return flow(request, caller, project).remove_member(user, role)


REPORT_TYPES = {"json": "application/json", "html": "text/html; charset=utf-8", "pdf": "application/pdf"}


@router.get(
    "/projects/{project}/environments/{environment}/report",
    tags=["reports"],
    response_class=Response,
    responses={200: {"content": {media: {} for media in REPORT_TYPES.values()}, "description": "The report"}},
)
def report(
    request: Request, caller: Caller, project: str, environment: str, format: ReportFormat = ReportFormat.JSON
) -> Response:
    """The compliance report of an environment (ICP-6.1), as JSON, HTML or PDF."""
    data = compliance_report(flow(request, caller, project), environment)
    if format is ReportFormat.JSON:
        body: bytes = json.dumps(data, indent=2).encode()
    elif format is ReportFormat.HTML:
        body = render_compliance_html(data).encode()
    else:
        body = render_compliance_pdf(data)
    return download(body, REPORT_TYPES[format.value], f"{project}-{environment}.{format.value}")


def download(body: bytes, media_type: str, name: str) -> Response:
    """A report as a file to save (its name given), not a page to show."""
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})
