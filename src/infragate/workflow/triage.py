"""Findings triage (ICP-4.4): list, assign, resolve and accept findings, with the role rules for severe ones."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from infragate.errors import UsageError
from infragate.store import audit_log
from infragate.store.findings import FindingStatus, open_findings
from infragate.store.schema import Finding, FindingEvent, Project, User
from infragate.workflow.base import WorkflowBase
from infragate.workflow.roles import Action, require

SEVERE = ("critical", "high")


class Triage(WorkflowBase):
    def findings(self, environment: str | None = None, *, include_closed: bool = False) -> list[Finding]:
        if environment is not None:
            self.design.environment(environment)  # an unknown environment is a usage error, not "no findings"
        with self.store.session() as session:
            project = self.register(session)
            if not include_closed:
                return open_findings(session, project.id, environment)
            query = select(Finding).where(Finding.project_id == project.id)
            if environment:
                query = query.where(Finding.environment == environment)
            return list(session.scalars(query.order_by(Finding.id)))

    def _finding(self, session: Session, project: Project, finding_id: int) -> Finding:
        finding = session.get(Finding, finding_id)
        if finding is None or finding.project_id != project.id:
            raise UsageError(
                f"there is no finding {finding_id} in {project.name}", hint="`infragate findings list` shows them."
            )
        return finding

    def assign(self, finding_id: int, assignee: str) -> None:
        with self._session() as (session, project, user):
            require(user.name, self.roles_of(session, project, user), Action.ASSIGN_FINDING)
            finding = self._finding(session, project, finding_id)
            target = session.scalars(select(User).where(User.name == assignee)).first()
            if target is None:
                raise UsageError(f"{assignee} is not a user", hint="`infragate user list` shows them.")
            finding.assignee_id = target.id
            finding.status = FindingStatus.IN_PROGRESS.value
            finding.events.append(
                FindingEvent(
                    at=datetime.now(UTC), actor=user.name, status=finding.status, note=f"assigned to {assignee}"
                )
            )
            audit_log.append(session, user.name, "finding-assigned", f"{project.name}#{finding_id}", {"to": assignee})

    def resolve(self, finding_id: int, status: FindingStatus, note: str) -> None:
        """Mark fixed, verified (after fixed), false positive or accepted risk; high and critical ones, and
        every verification, only by security."""
        with self._session() as (session, project, user):
            finding = self._finding(session, project, finding_id)
            action = Action.ACCEPT_RISK if status is FindingStatus.ACCEPTED_RISK else Action.RESOLVE_FINDING
            if finding.severity in SEVERE or status is FindingStatus.VERIFIED:
                action = Action.RESOLVE_SEVERE_FINDING
            if status is FindingStatus.VERIFIED and finding.status != FindingStatus.FIXED.value:
                raise UsageError(
                    f"finding {finding_id} is {finding.status}: only a fixed finding can be verified",
                    hint="Mark it fixed first (or let the next run find it gone).",
                )
            require(user.name, self.roles_of(session, project, user), action)
            if not note.strip():
                raise UsageError("a resolution needs a note saying why", hint="Pass --note '…'.")
            finding.status = status.value
            finding.events.append(FindingEvent(at=datetime.now(UTC), actor=user.name, status=status.value, note=note))
            audit_log.append(
                session, user.name, f"finding-{status.value}", f"{project.name}#{finding_id}", {"note": note}
            )
