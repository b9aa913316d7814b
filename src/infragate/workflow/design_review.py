"""What a reviewer needs before deciding: the project's runs, and what changed in the design since the digest
a lead last approved for an environment (a unified diff of the stored design texts)."""

from __future__ import annotations

import difflib
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select

from infragate.model import Role
from infragate.store.evidence import approvals, latest_run
from infragate.store.schema import DesignVersion, Run
from infragate.workflow.approvals import current_plan_approver
from infragate.workflow.job_requests import JobRequests

MAX_DIFF_LINES = 2000  # a design is a page or two; a diff longer than this is cut, saying so


class DesignChanges(BaseModel):
    environment: str
    current_digest: str
    approved_digest: str | None  # None: no lead has approved any design for this environment yet
    approved_by: str | None
    approved_at: datetime | None
    diff: list[str]  # unified diff lines, approved → current; empty when they are the same

    @property
    def changed(self) -> bool:
        return self.approved_digest != self.current_digest


class RunView(BaseModel):
    id: int
    environment: str
    kind: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    summary: dict[str, Any]


class PlanView(BaseModel):
    digest: str
    pending: int  # changes the plan would make
    planned_at: datetime
    approved_by: str | None  # a current lead who approved exactly this digest


class DesignReview(JobRequests):
    def design_changes(self, environment: str) -> DesignChanges:
        """The current design against the one last approved for ``environment`` (any member may read it)."""
        self.design.environment(environment)
        self._require_reader()
        with self.store.session() as session:
            project = self.register(session)
            approved = [
                (a, u)
                for a, u in approvals(session, project.id, "design")
                if a.environment == environment and a.role == Role.LEAD.value  # security's is the review
            ]
            wanted = {self.design.digest, *(a.digest for a, _ in approved[-1:])}  # two texts, not every version
            texts = {
                v.digest: v.content
                for v in session.scalars(
                    select(DesignVersion).where(
                        DesignVersion.project_id == project.id, DesignVersion.digest.in_(wanted)
                    )
                )
            }
        current = texts.get(self.design.digest, "")
        if not approved:
            return DesignChanges(
                environment=environment,
                current_digest=self.design.digest,
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
                    f"current {self.design.digest[:19]}",
                    lineterm="",
                )
            )
        if len(diff) > MAX_DIFF_LINES:
            diff = [*diff[:MAX_DIFF_LINES], f"… {len(diff) - MAX_DIFF_LINES} more lines"]
        return DesignChanges(
            environment=environment,
            current_digest=self.design.digest,
            approved_digest=approval.digest,
            approved_by=user.name,
            approved_at=approval.at,
            diff=diff,
        )

    def runs(self, environment: str | None = None, limit: int = 50, kind: str | None = None) -> list[RunView]:
        """The project's latest runs (the evidence), newest first; ``kind`` keeps one kind (deploy: the
        deployments verified webhooks reported)."""
        if environment is not None:
            self.design.environment(environment)
        self._require_reader()
        with self.store.session() as session:
            project = self.register(session)
            query = select(Run).where(Run.project_id == project.id).order_by(Run.id.desc()).limit(limit)
            if environment is not None:
                query = query.where(Run.environment == environment)
            if kind is not None:
                query = query.where(Run.kind == kind)
            return [
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

    def design_documents(self, environment: str) -> Path | None:
        """The folder of the latest design documents drawn for ``environment`` (index.html and its diagrams),
        when they were drawn from the current digest; None otherwise (they would describe another design)."""
        self.design.environment(environment)
        self._require_reader()
        with self.store.session() as session:
            project = self.register(session)
            run = latest_run(session, project.id, environment, "docs")
            if run is None or not run.artifact_path or run.summary.get("design_digest") != self.design.digest:
                return None
            index = Path(run.artifact_path)
        return index.parent if index.is_file() and index.suffix == ".html" else None

    def latest_plan(self, environment: str) -> PlanView | None:
        """The environment's latest recorded plan, and whether a lead approved exactly it."""
        self.design.environment(environment)
        self._require_reader()
        with self.store.session() as session:
            project = self.register(session)
            run = latest_run(session, project.id, environment, "plan")
            if run is None or not run.summary.get("plan"):
                return None
            digest = str(run.summary["plan"])
            return PlanView(
                digest=digest,
                pending=int(run.summary.get("pending", 0)),
                planned_at=run.started_at,
                approved_by=current_plan_approver(session, project.id, digest),
            )
