"""Approvals (ICP-1.4): a lead approves, or security reviews, a design digest; a lead approves a plan digest."""

from __future__ import annotations

from infragate.model import Role
from infragate.store import audit_log
from infragate.store.evidence import approvals, record_approval
from infragate.workflow.base import WorkflowBase
from infragate.workflow.roles import Action, require


class Approvals(WorkflowBase):
    # -- approvals --------------------------------------------------------------------------------------
    def approve_design(self, environment: str, comment: str = "") -> str:
        """A lead approves, or security reviews, the design's current digest for an environment."""
        self.design.environment(environment)
        with self._session() as (session, project, user):
            roles = set(user.roles)
            if Role.LEAD.value in roles:
                subject, role = "design", require(user.name, roles, Action.APPROVE_DESIGN)
            else:
                subject, role = "design-review", require(user.name, roles, Action.REVIEW_DESIGN)
            record_approval(
                session,
                project_id=project.id,
                environment=environment,
                subject=subject,
                digest=self.design.digest,
                user=user,
                role=role.value,
                comment=comment,
            )
            audit_log.append(
                session,
                user.name,
                f"{subject}-approved",
                f"{project.name}/{environment}",
                {"digest": self.design.digest},
            )
            return "approved" if subject == "design" else "reviewed"

    def approve_plan(self, digest: str, environment: str, comment: str = "") -> None:
        with self._session() as (session, project, user):
            role = require(user.name, user.roles, Action.APPROVE_PLAN)
            record_approval(
                session,
                project_id=project.id,
                environment=environment,
                subject="plan",
                digest=digest,
                user=user,
                role=role.value,
                comment=comment,
            )
            audit_log.append(session, user.name, "plan-approved", f"{project.name}/{environment}", {"digest": digest})

    def plan_approver(self, digest: str) -> str | None:
        """A current lead who approved exactly this plan, if any (a lead removed from the design no longer counts)."""
        leads = set(self.design.project.owners.lead)
        with self.store.session() as session:
            project = self.register(session)
            found = [
                user.name
                for approval, user in approvals(session, project.id, "plan", digest)
                if Role.LEAD.value in user.roles
            ]
        return next((name for name in found if name in leads), None)
