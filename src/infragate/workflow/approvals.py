"""Approvals (ICP-1.4): a lead approves, or security reviews, a design digest; a lead approves a plan digest.

Roles are the approver's memberships on the project. Separation of duties: the person who approved a digest
as lead is never also its security reviewer, whatever roles they hold, and the other way round. The digest a
person approves is the one they looked at: when the design changed since, nothing is approved.
"""

from __future__ import annotations

from pydantic import Field

from infragate.errors import RefusedError, UsageError
from infragate.model import Role
from infragate.policy.packs import packs_for
from infragate.store import audit_log
from infragate.store.evidence import approvals, record_approval
from infragate.workflow.bus import handles
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.messages import Command, Http, Outcome
from infragate.workflow.project import ProjectWork, open_project
from infragate.workflow.roles import Action, require

DESIGN_SUBJECTS = {Role.LEAD: ("design", Action.APPROVE_DESIGN), Role.SECURITY: ("design-review", Action.REVIEW_DESIGN)}
DIGEST = r"^sha256:[0-9a-f]{64}$"
ENVIRONMENT = "/projects/{project}/environments/{environment}"


class DesignDecision(Outcome):
    """A design approved or reviewed: the digest, and what changed in it since the last lead approval."""

    digest: str
    changed_since: str | None = None  # the digest approved before, when it differs
    approved_by: str | None = None
    diff: list[str] = Field(default_factory=list)


class ApproveDesign(Command[DesignDecision]):
    """A lead approves, or security reviews, the design's current digest for an environment. Someone who is
    both says which with ``role`` (by default: lead); ``digest`` is the one the person reviewed."""

    http = Http("POST", ENVIRONMENT + "/design-approvals", tag="approvals")
    project: str
    environment: str
    comment: str = Field("", max_length=2000)
    role: Role | None = None
    digest: str | None = Field(None, description="The digest the person reviewed; refused when the design changed.")


@handles(ApproveDesign)
def approve_design(command: ApproveDesign, caller: Caller, uow: UnitOfWork) -> DesignDecision:
    from infragate.workflow.design_review import changes_since_approval

    work = open_project(uow, command.project, caller)
    design, environment = work.design, command.environment
    design.environment(environment)
    if command.digest and command.digest != design.digest:
        raise UsageError(
            f"the design of {work.name} is now {design.digest[:19]}…, not the {command.digest[:19]}… you reviewed",
            hint="Look at what changed (`infragate approve design` shows it in team mode), then approve again; in "
            "team mode, register your version on the server first, or approve with --project NAME.",
        )
    changes = changes_since_approval(work, environment)
    with work.as_caller() as (session, project, user):
        roles = work.roles_of(session, project, user)
        as_role = command.role or (Role.LEAD if Role.LEAD.value in roles else Role.SECURITY)
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
            for approval, approver in approvals(session, project.id, other, design.digest)
            if approval.environment == environment and approver.id == user.id
        ]
        if already:
            did = "reviewed it as security" if other == "design-review" else "approved it as lead"
            raise RefusedError(
                f"separation of duties: {user.name} already {did} ({design.digest[:19]}… for {environment}); "
                f"the {'security review' if subject == 'design-review' else 'lead approval'} needs another person",
                hint="Ask another member with that role.",
            )
        record_approval(
            session,
            project_id=project.id,
            environment=environment,
            subject=subject,
            digest=design.digest,
            user=user,
            role=role.value,
            comment=command.comment,
        )
        audit_log.append(
            session,
            user.name,
            f"{subject}-approved",
            f"{project.name}/{environment}",
            # which versions of the organisation's own rules judged the design that was approved
            {"digest": design.digest, "policy_packs": {p.name: p.digest for p in packs_for(design)}},
        )
    uow.evidence_changed(work.name, environment)
    return DesignDecision(
        result="approved" if subject == "design" else "reviewed",
        digest=design.digest,
        changed_since=changes.approved_digest if changes.changed else None,
        approved_by=changes.approved_by if changes.changed else None,
        diff=changes.diff,
    )


class ApprovePlan(Command[Outcome]):
    """A lead approves exactly this plan, by its digest: apply then changes exactly that plan."""

    http = Http("POST", ENVIRONMENT + "/plan-approvals", tag="approvals")
    project: str
    environment: str
    digest: str = Field(..., pattern=DIGEST, description="The plan's digest (`infragate plan`).")
    comment: str = Field("", max_length=2000)


@handles(ApprovePlan)
def approve_plan_command(command: ApprovePlan, caller: Caller, uow: UnitOfWork) -> Outcome:
    work = open_project(uow, command.project, caller)
    work.design.environment(command.environment)
    approve_plan(work, command.digest, command.environment, command.comment)
    return Outcome(result="approved")


def approve_plan(work: ProjectWork, digest: str, environment: str, comment: str = "", *, subject: str = "plan") -> None:
    """Record a lead's approval of exactly this plan (an AWS change plan; ``stress-plan``: a stress scenario and
    its caps; ``github-plan``: GitHub settings), by its digest: what is applied or run must be what was
    approved."""
    with work.as_caller() as (session, project, user):
        role = require(user.name, work.roles_of(session, project, user), Action.APPROVE_PLAN)
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
        audit_log.append(session, user.name, f"{subject}-approved", f"{project.name}/{environment}", {"digest": digest})
