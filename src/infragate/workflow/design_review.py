"""What a reviewer needs before deciding: the project's runs, what changed in the design since the digest a
lead last approved for an environment (a unified diff of the stored design texts), the design documents of the
current digest, and the latest plan with its approval."""

from __future__ import annotations

import difflib
from datetime import datetime
from pathlib import Path

from pydantic import Field, JsonValue
from sqlalchemy import select

from infragate.model import Role
from infragate.store.evidence import approvals, latest_run
from infragate.store.schema import DesignVersion, Run
from infragate.workflow.bus import handles
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.messages import Http, Items, Query, Result
from infragate.workflow.project import ProjectWork, current_plan_approver, open_project

MAX_DIFF_LINES = 2000  # a design is a page or two; a diff longer than this is cut, saying so


class DesignChanges(Result):
    environment: str
    current_digest: str
    approved_digest: str | None  # None: no lead has approved any design for this environment yet
    approved_by: str | None
    approved_at: datetime | None
    diff: list[str]  # unified diff lines, approved → current; empty when they are the same

    @property
    def changed(self) -> bool:
        return self.approved_digest != self.current_digest


class RunView(Result):
    id: int
    environment: str
    kind: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    summary: dict[str, JsonValue]


class PlanView(Result):
    digest: str
    pending: int  # changes the plan would make
    planned_at: datetime
    approved_by: str | None  # a current lead who approved exactly this digest


ENVIRONMENT = "/projects/{project}/environments/{environment}"


class GetDesignChanges(Query[DesignChanges]):
    """What changed in the design since the digest a lead last approved for this environment."""

    http = Http("GET", ENVIRONMENT + "/design-changes", tag="approvals")
    project: str
    environment: str


@handles(GetDesignChanges)
def design_changes(command: GetDesignChanges, caller: Caller, uow: UnitOfWork) -> DesignChanges:
    """The current design against the one last approved for the environment (any member may read it)."""
    work = open_project(uow, command.project, caller)
    work.design.environment(command.environment)
    work.require_reader()
    return changes_since_approval(work, command.environment)


def changes_since_approval(work: ProjectWork, environment: str) -> DesignChanges:
    design = work.design
    with work.session() as (session, project):
        approved = [
            (a, u)
            for a, u in approvals(session, project.id, "design")
            if a.environment == environment and a.role == Role.LEAD.value  # security's is the review
        ]
        wanted = {design.digest, *(a.digest for a, _ in approved[-1:])}  # two texts, not every version
        texts = {
            v.digest: v.content
            for v in session.scalars(
                select(DesignVersion).where(DesignVersion.project_id == project.id, DesignVersion.digest.in_(wanted))
            )
        }
    current = texts.get(design.digest, "")
    if not approved:
        return DesignChanges(
            environment=environment,
            current_digest=design.digest,
            approved_digest=None,
            approved_by=None,
            approved_at=None,
            diff=[],
        )
    approval, user = approved[-1]
    before = texts.get(approval.digest)
    if before is None:
        diff = [f"(the text of the approved design {approval.digest} is not in the store)"]
    else:
        diff = list(
            difflib.unified_diff(
                before.splitlines(),
                current.splitlines(),
                f"approved {approval.digest[:19]}",
                f"current {design.digest[:19]}",
                lineterm="",
            )
        )
    if len(diff) > MAX_DIFF_LINES:
        diff = [*diff[:MAX_DIFF_LINES], f"… {len(diff) - MAX_DIFF_LINES} more lines"]
    return DesignChanges(
        environment=environment,
        current_digest=design.digest,
        approved_digest=approval.digest,
        approved_by=user.name,
        approved_at=approval.at,
        diff=diff,
    )


class Runs(Items[RunView]):
    """Runs, newest first."""


class ListRuns(Query[Runs]):
    """The project's latest runs (the evidence), newest first; ``kind`` keeps one kind."""

    http = Http("GET", "/projects/{project}/runs", tag="runs")
    project: str
    environment: str | None = None
    kind: str | None = None
    limit: int = Field(50, ge=1, le=200)


class ListDeployments(Query[Runs]):
    """The deployments signed webhooks reported (ICP-3.1), newest first: commit, state, stages seen, actor."""

    http = Http("GET", ENVIRONMENT + "/deployments", tag="deployments")
    project: str
    environment: str
    limit: int = Field(20, ge=1, le=200)


@handles(ListDeployments)
def list_deployments(command: ListDeployments, caller: Caller, uow: UnitOfWork) -> Runs:
    from infragate.workflow.bus import handle

    listed = ListRuns(project=command.project, environment=command.environment, kind="deploy", limit=command.limit)
    return handle(listed, caller, uow)


@handles(ListRuns)
def list_runs(command: ListRuns, caller: Caller, uow: UnitOfWork) -> Runs:
    work = open_project(uow, command.project, caller)
    if command.environment is not None:
        work.design.environment(command.environment)
    work.require_reader()
    with work.session() as (session, project):
        query = select(Run).where(Run.project_id == project.id).order_by(Run.id.desc()).limit(command.limit)
        if command.environment is not None:
            query = query.where(Run.environment == command.environment)
        if command.kind is not None:
            query = query.where(Run.kind == command.kind)
        return Runs(
            [
                RunView(
                    id=r.id,
                    environment=r.environment,
                    kind=r.kind,
                    status=r.status,
                    started_at=r.started_at,
                    finished_at=r.finished_at,
                    summary=r.summary,
                )
                for r in session.scalars(query)
            ]
        )


class DesignDocuments(Result):
    folder: str | None  # None: no documents drawn from the current digest


class GetDesignDocuments(Query[DesignDocuments]):
    """The folder of the latest design documents drawn for the environment (index.html and its diagrams), when
    they were drawn from the current digest; none otherwise (they would describe another design)."""

    project: str
    environment: str


@handles(GetDesignDocuments)
def design_documents(command: GetDesignDocuments, caller: Caller, uow: UnitOfWork) -> DesignDocuments:
    work = open_project(uow, command.project, caller)
    work.design.environment(command.environment)
    work.require_reader()
    with work.session() as (session, project):
        run = latest_run(session, project.id, command.environment, "docs")
        if run is None or not run.artifact_path or run.summary.get("design_digest") != work.design.digest:
            return DesignDocuments(folder=None)
        index = Path(run.artifact_path)
    return DesignDocuments(folder=str(index.parent) if index.is_file() and index.suffix == ".html" else None)


class LatestPlan(Result):
    plan: PlanView | None


class GetLatestPlan(Query[LatestPlan]):
    """The environment's latest recorded plan, and whether a lead approved exactly it."""

    project: str
    environment: str


@handles(GetLatestPlan)
def latest_plan(command: GetLatestPlan, caller: Caller, uow: UnitOfWork) -> LatestPlan:
    work = open_project(uow, command.project, caller)
    work.design.environment(command.environment)
    work.require_reader()
    with work.session() as (session, project):
        run = latest_run(session, project.id, command.environment, "plan")
        if run is None or not run.summary.get("plan"):
            return LatestPlan(plan=None)
        digest = str(run.summary["plan"])
        pending = run.summary.get("pending", 0)
        return LatestPlan(
            plan=PlanView(
                digest=digest,
                pending=pending if isinstance(pending, int) else 0,
                planned_at=run.started_at,
                approved_by=current_plan_approver(session, project.id, digest),
            )
        )
