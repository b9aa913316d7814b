"""The portfolio: every environment the caller may see (the projects they are a member of; every project for
admins), with its stage, who must act next and its overdue findings; and one project's status, judged now."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from infragate.store.findings import ACTIVE
from infragate.store.schema import Finding, Project
from infragate.workflow.bus import handles
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.gatekeeping import judge
from infragate.workflow.messages import Http, Offset, Page, PageSize, Query, Result
from infragate.workflow.project import open_project
from infragate.workflow.users import roles_in_scope


class PortfolioRow(Result):
    """One environment in the portfolio: its stage, who must act next, its overdue findings."""

    project: str
    client: str
    environment: str
    stage: str
    next_step: str
    overdue_findings: int


class Portfolio(Query[Page[PortfolioRow]]):
    """Every environment of the projects the caller may see, by project; ``client`` and ``stage`` filter."""

    http = Http("GET", "/portfolio", tag="projects")
    client: str | None = None
    stage: str | None = None
    offset: Offset = 0
    limit: PageSize = 50


@handles(Portfolio)
def portfolio(command: Portfolio, caller: Caller, uow: UnitOfWork) -> Page[PortfolioRow]:
    roles = roles_in_scope(uow.store, caller)
    everything = roles.admin or not caller.authenticated  # local mode: one person's own store
    now = datetime.now(UTC)
    with uow.store.session() as session:
        query = select(Project).options(selectinload(Project.environments)).order_by(Project.name)
        if not everything:
            query = query.where(Project.name.in_(list(roles.projects)))
        if command.client:
            query = query.where(Project.client == command.client)
        projects = list(session.scalars(query))
        overdue: dict[tuple[int, str], int] = {
            (project_id, environment): int(count)
            for project_id, environment, count in session.execute(
                select(Finding.project_id, Finding.environment, func.count())
                .where(Finding.status.in_([s.value for s in ACTIVE]), Finding.due_at < now)
                .group_by(Finding.project_id, Finding.environment)
            )
        }
        rows = [
            PortfolioRow(
                project=project.name,
                client=project.client,
                environment=environment.name,
                stage=environment.stage,
                next_step=environment.next_step or "",
                overdue_findings=overdue.get((project.id, environment.name), 0),
            )
            for project in projects
            for environment in sorted(project.environments, key=lambda e: e.name)
            if not command.stage or environment.stage == command.stage
        ]
    items = rows[command.offset : command.offset + command.limit]
    return Page[PortfolioRow](items=items, total=len(rows), offset=command.offset, limit=command.limit)


class EnvironmentStatus(Result):
    environment: str
    stage: str
    unmet: int
    next_step: str


class ProjectStatus(Result):
    project: str
    client: str
    design: str  # the design file the project's status was judged from
    attestation: str
    environments: list[EnvironmentStatus]


class GetProjectStatus(Query[ProjectStatus]):
    """The stage of every environment of one project, judged now, and how many criteria its gates still miss."""

    http = Http("GET", "/projects/{project}/status", tag="projects")
    project: str


@handles(GetProjectStatus)
def project_status(command: GetProjectStatus, caller: Caller, uow: UnitOfWork) -> ProjectStatus:
    work = open_project(uow, command.project, caller)
    rows, attestation = [], ""
    for environment in work.design.environments:
        judged = judge(work, environment)
        attestation = judged.attestation
        rows.append(
            EnvironmentStatus(
                environment=environment, stage=judged.stage, unmet=len(judged.unmet()), next_step=judged.next_step()
            )
        )
    return ProjectStatus(
        project=work.name,
        client=work.design.project.client,
        design=work.design.path,
        attestation=attestation,
        environments=rows,
    )
