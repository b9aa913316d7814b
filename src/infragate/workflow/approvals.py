"""Approvals (ICP-1.4): a lead approves, or security reviews, a design digest; a lead approves a plan digest.

Roles are the approver's memberships on the project. Separation of duties: the person who approved a digest
as lead is never also its security reviewer, whatever roles they hold, and the other way round.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from infragate.errors import RefusedError, UsageError
from infragate.model import Role
from infragate.policy.packs import packs_for
from infragate.store import audit_log
from infragate.store.evidence import approvals, record_approval
from infragate.store.memberships import holders
from infragate.workflow.base import WorkflowBase
from infragate.workflow.roles import Action, require

DESIGN_SUBJECTS = {Role.LEAD: ("design", Action.APPROVE_DESIGN), Role.SECURITY: ("design-review", Action.REVIEW_DESIGN)}


class Approvals(WorkflowBase):
    # -- approvals --------------------------------------------------------------------------------------
    def approve_design(
        self, environment: str, comment: str = "", *, as_role: Role | None = None, digest: str | None = None
    ) -> str:
        """A lead approves, or security reviews, the design's current digest for an environment. Someone who
        is both says which with ``as_role`` (by default: lead). ``digest`` is the one the person looked at:
        when the design has changed since, nothing is approved."""
        self.design.environment(environment)
        if digest is not None and digest != self.design.digest:
            raise UsageError(
                f"the design is now {self.design.digest[:19]}…, not the {digest[:19]}… you reviewed",
                hint="Look at what changed, then approve again.",
            )
        with self._session() as (session, project, user):
            roles = self.roles_of(session, project, user)
            if as_role is None:
                as_role = Role.LEAD if Role.LEAD.value in roles else Role.SECURITY
            if as_role not in DESIGN_SUBJECTS:
                raise RefusedError(
                    f"a design is approved as lead or reviewed as security, not as {as_role.value}",
                    hint="Pass --role lead or --role security.",
                )
            subject, action = DESIGN_SUBJECTS[as_role]
            role = require(user.name, roles, action)
            other = "design-review" if subject == "design" else "design"
            already = [
                approver.name
                for approval, approver in approvals(session, project.id, other, self.design.digest)
                if approval.environment == environment and approver.id == user.id
            ]
            if already:
                did = "reviewed it as security" if other == "design-review" else "approved it as lead"
                raise RefusedError(
                    f"separation of duties: {user.name} already {did} ({self.design.digest[:19]}… for {environment}); "
                    f"the {'security review' if subject == 'design-review' else 'lead approval'} needs another person",
                    hint="Ask another member with that role.",
                )
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
                # which versions of the organisation's own rules judged the design that was approved
                {"digest": self.design.digest, "policy_packs": {p.name: p.digest for p in packs_for(self.design)}},
            )
            return "approved" if subject == "design" else "reviewed"

    def approve_plan(self, digest: str, environment: str, comment: str = "", *, subject: str = "plan") -> None:
        """A lead approves exactly this plan (an AWS change plan, or with ``subject="stress-plan"`` a stress
        scenario and its caps), by its digest: what is applied or run must be what was approved."""
        with self._session() as (session, project, user):
            role = require(user.name, self.roles_of(session, project, user), Action.APPROVE_PLAN)
            record_approval(
                session,
                project_id=project.id,
                environment=environment,
                subject=subject,
                digest=digest,
                user=user,
                role=role.value,
                comment=comment,
            )
            audit_log.append(
                session, user.name, f"{subject}-approved", f"{project.name}/{environment}", {"digest": digest}
            )

    def plan_approver(self, digest: str, subject: str = "plan") -> str | None:
        """A current lead of the project who approved exactly this plan, if any (one whose lead membership
        was revoked no longer counts)."""
        with self.store.session() as session:
            return current_plan_approver(session, self.register(session).id, digest, subject)


def current_plan_approver(session: Session, project_id: int, digest: str, subject: str = "plan") -> str | None:
    """A current lead of the project who approved exactly this plan (a revoked lead no longer counts)."""
    leads = holders(session, project_id, Role.LEAD.value)
    found = [user.name for _approval, user in approvals(session, project_id, subject, digest)]
    return next((name for name in found if name in leads), None)
