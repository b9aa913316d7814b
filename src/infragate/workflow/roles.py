"""Who may do what: the policy's roles mapped to workflow actions, checked in one place."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from infragate.errors import UsageError
from infragate.model import Role


class RoleError(UsageError):
    code = "workflow.forbidden"


class Action(StrEnum):
    APPROVE_DESIGN = "approve a design"
    REVIEW_DESIGN = "review a design for security"
    APPROVE_PLAN = "approve a plan"
    ASSIGN_FINDING = "assign a finding"
    RESOLVE_FINDING = "resolve a finding"
    RESOLVE_SEVERE_FINDING = "resolve or accept a high or critical finding, or verify a fix"
    ACCEPT_RISK = "accept the risk of a finding"
    LAUNCH = "launch an environment"
    ACT_AS = "act as another user"
    MANAGE_USERS = "manage users"
    MANAGE_MEMBERS = "change who holds which role on a project"
    RELEASE_LOCK = "release another person's environment lock"
    SCAN_PRODUCTION = "run a security scan against production"
    MANAGE_SCHEDULES = "schedule recurring jobs"
    REPORT_DEPLOYMENT = "report a deployment step of the pipeline"
    APPLY_GITHUB = "change the repository's GitHub settings"


ALLOWED: dict[Action, frozenset[Role]] = {
    Action.APPROVE_DESIGN: frozenset({Role.LEAD}),
    Action.REVIEW_DESIGN: frozenset({Role.SECURITY}),
    Action.APPROVE_PLAN: frozenset({Role.LEAD}),
    Action.ASSIGN_FINDING: frozenset({Role.LEAD, Role.SECURITY}),
    Action.RESOLVE_FINDING: frozenset({Role.LEAD, Role.INFRA, Role.DEVELOPER, Role.SECURITY}),
    Action.RESOLVE_SEVERE_FINDING: frozenset({Role.SECURITY}),
    Action.ACCEPT_RISK: frozenset({Role.LEAD, Role.SECURITY}),
    Action.LAUNCH: frozenset({Role.LEAD}),
    Action.ACT_AS: frozenset({Role.ADMIN}),
    Action.MANAGE_USERS: frozenset({Role.ADMIN}),
    Action.MANAGE_MEMBERS: frozenset({Role.ADMIN, Role.LEAD}),
    Action.RELEASE_LOCK: frozenset({Role.ADMIN}),
    Action.SCAN_PRODUCTION: frozenset({Role.SECURITY}),
    Action.MANAGE_SCHEDULES: frozenset({Role.LEAD, Role.SECURITY}),
    Action.REPORT_DEPLOYMENT: frozenset({Role.LEAD, Role.INFRA, Role.DEVELOPER}),
    Action.APPLY_GITHUB: frozenset({Role.LEAD, Role.INFRA}),
}


def require(user: str, roles: Iterable[str], action: Action) -> Role:
    """The role under which ``user`` may do ``action``; a clear refusal otherwise. ``roles`` are the ones the
    user holds where the action happens: their memberships on the project, plus ``admin`` if they are one."""
    held = {Role(role) for role in roles}
    allowed = ALLOWED[action]
    granted = sorted(held & allowed)
    if not granted:
        raise RoleError(
            f"{user} may not {action.value}: that needs the role {' or '.join(sorted(allowed))}, "
            f"and {user} has {', '.join(sorted(held)) or 'no role'}",
            hint="Ask someone with that role, or an admin or the project's lead to grant it "
            "(`infragate project members add NAME --role ROLE`).",
        )
    return granted[0]
