"""What a signed-in person may see across projects, decided here for the server: the portfolio of the
projects they are a member of (every project for admins), and a Workflow opened for one of them with their
token's scope applied. Reading a project needs a role on it; acting needs the role the action needs."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from infragate.design import Design, load_design
from infragate.errors import NotFoundError, UsageError
from infragate.store import Store
from infragate.store.findings import ACTIVE
from infragate.store.memberships import ADMIN, roles_on
from infragate.store.schema import Finding, Project, User
from infragate.workflow.accounts import Principal
from infragate.workflow.roles import RoleError
from infragate.workflow.service import Workflow
from infragate.workflow.users import UserRoles, user_roles


class PortfolioRow(BaseModel):
    """One environment in the portfolio: its stage, who must act next, its overdue findings."""

    model_config = ConfigDict(frozen=True)

    project: str
    client: str
    environment: str
    stage: str
    next_step: str
    overdue_findings: int


def roles_of(store: Store, caller: Principal) -> UserRoles:
    """The caller's roles (``users.user_roles``) within their token's scope."""
    found = user_roles(store, caller.name)
    if not found:
        return UserRoles(caller.name, False, {})
    projects = {
        project: sorted(caller.scope.limit(project, set(roles)))
        for project, roles in found[0].projects.items()
        if caller.scope.limit(project, set(roles))
    }
    admin = found[0].admin and (not caller.scope.roles or ADMIN in caller.scope.roles)
    return UserRoles(caller.name, admin, projects)


def portfolio(
    store: Store, caller: Principal, *, client: str | None = None, stage: str | None = None
) -> list[PortfolioRow]:
    roles = roles_of(store, caller)
    now = datetime.now(UTC)
    with store.session() as session:
        query = select(Project).options(selectinload(Project.environments)).order_by(Project.name)
        if not roles.admin:
            query = query.where(Project.name.in_(list(roles.projects)))
        if client:
            query = query.where(Project.client == client)
        projects = list(session.scalars(query))
        overdue: dict[tuple[int, str], int] = {
            (project_id, environment): int(count)
            for project_id, environment, count in session.execute(
                select(Finding.project_id, Finding.environment, func.count())
                .where(Finding.status.in_([s.value for s in ACTIVE]), Finding.due_at < now)
                .group_by(Finding.project_id, Finding.environment)
            )
        }
        rows = []
        for project in projects:
            for environment in sorted(project.environments, key=lambda e: e.name):
                if stage and environment.stage != stage:
                    continue
                rows.append(
                    PortfolioRow(
                        project=project.name,
                        client=project.client,
                        environment=environment.name,
                        stage=environment.stage,
                        next_step=environment.next_step or "",
                        overdue_findings=overdue.get((project.id, environment.name), 0),
                    )
                )
    return rows


def workflow_for(store: Store, project: str, caller: Principal) -> Workflow:
    """The project's Workflow as the caller, refused (403) unless they may read it; 404 for no such project."""
    with store.session() as session:
        row = session.scalars(select(Project).where(Project.name == project)).first()
        if row is None:
            raise NotFoundError(f"there is no project {project}", hint="GET /api/v1/portfolio lists yours.")
        user = session.scalars(select(User).where(User.name == caller.name)).first()
        held = caller.scope.limit(project, roles_on(session, user, row.id)) if user is not None else set()
        design_path = row.design_path
    if not held:
        raise RoleError(f"{caller.name} has no role on {project}", hint="An admin adds members.")
    try:
        design = design_at(design_path)
    except UsageError as problem:
        raise UsageError(f"the design of {project} cannot be loaded: {problem.message}", hint=problem.hint) from None
    return Workflow(store, design, caller.name, scope=caller.scope, authenticated=True)  # the server knows them


def design_at(path: str) -> Design:
    """The design at ``path``, parsed once per version of the file (a server reads it on every request)."""
    try:
        found = Path(path).stat()
        stamp = (found.st_mtime_ns, found.st_size)
    except OSError:
        stamp = (0, 0)  # load_design says what is wrong with the path
    return _parsed(path, stamp)


@lru_cache(maxsize=256)
def _parsed(path: str, _stamp: tuple[int, int]) -> Design:
    return load_design(path)


def require_admin(store: Store, caller: Principal, action: str = "read the whole audit log") -> None:
    """Refuse unless the caller is an admin within the scope of the token they came with."""
    if not roles_of(store, caller).admin:
        raise RoleError(f"{caller.name} may not {action}: that needs the role admin")


def require_session(caller: Principal) -> None:
    if caller.via == "token":
        raise RoleError(
            "an API token cannot create tokens", hint="Sign in to the dashboard, or use the CLI on the host."
        )
