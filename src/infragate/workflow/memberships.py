"""Project memberships: who holds which role on this project.

Roles are per project. A design's ``owners`` section is a proposal: registering or changing a design shows
the membership changes it implies, and an admin or the project's lead applies them, audit-logged. Loading a
design grants nothing. Beyond the design's proposal, only admins add or remove members; and a lead applying a
proposal cannot change their own memberships, so a lead cannot make themself their project's security reviewer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from infragate.errors import UsageError
from infragate.model import Role
from infragate.model.names import is_placeholder
from infragate.model.project import Owners
from infragate.store import audit_log
from infragate.store.memberships import Member, grant, members, revoke, roles_on
from infragate.store.projects import ensure_user
from infragate.store.schema import Project, User
from infragate.workflow.base import PROJECT_ROLES, WorkflowBase
from infragate.workflow.roles import Action, RoleError, require

MEMBER_ROLES = (*PROJECT_ROLES, Role.CLIENT)


@dataclass(frozen=True)
class MembershipChange:
    change: Literal["grant", "revoke"]
    user: str
    role: str

    def describe(self) -> str:
        return f"{'+' if self.change == 'grant' else '-'} {self.user} as {self.role}"


@dataclass(frozen=True)
class Registration:
    name: str
    client: str
    environments: list[str]
    proposal: list[MembershipChange]  # what the design's owners imply, not yet applied


class Memberships(WorkflowBase):
    def init_project(self) -> Registration:
        """Register (or update) the design's project, audit-logged, and say what memberships its owners propose."""
        with self.store.session() as session:
            project = self.register(session)
            audit_log.append(session, self.actor, "project-registered", project.name, {"design": self.design.digest})
            return Registration(
                project.name,
                project.client,
                [environment.name for environment in project.environments],
                _proposal(session, project, self.design.project.owners),
            )

    def members(self) -> list[Member]:
        with self.store.session() as session:
            return members(session, self.register(session).id)

    def proposed_memberships(self) -> list[MembershipChange]:
        """What the design's owners imply: grants for people it names, revocations for members it no longer
        names (client memberships are not the design's to propose, and are left alone)."""
        with self.store.session() as session:
            return _proposal(session, self.register(session), self.design.project.owners)

    def apply_memberships(self) -> list[MembershipChange]:
        """Apply the design's proposal: by an admin, or by the project's lead (but not to themself)."""
        with self._session() as (session, project, user):
            changes = _proposal(session, project, self.design.project.owners)
            self._may_manage(session, project, user, [change.user for change in changes])
            for change in changes:
                self._apply(session, project, user, change, source="design")
            return changes

    def add_member(self, name: str, role: Role) -> MembershipChange:
        return self._change_member(MembershipChange("grant", name, _member_role(role).value))

    def remove_member(self, name: str, role: Role) -> MembershipChange:
        return self._change_member(MembershipChange("revoke", name, _member_role(role).value))

    def _change_member(self, change: MembershipChange) -> MembershipChange:
        """By hand, memberships are an admin's to change; a lead applies only what the design proposes."""
        with self._session() as (session, project, user):
            require(user.name, self.roles_of(session, project, user), Action.MANAGE_USERS)
            if change.change == "revoke" and not session.scalars(select(User).where(User.name == change.user)).first():
                raise UsageError(f"{change.user} is not a user", hint="`infragate project members list` shows them.")
            if not self._apply(session, project, user, change, source="by hand"):
                verb = "already holds" if change.change == "grant" else "does not hold"
                raise UsageError(
                    f"{change.user} {verb} the role {change.role} on {project.name}", hint="Nothing to do."
                )
            return change

    def _may_manage(self, session: Session, project: Project, user: User, affected: list[str]) -> None:
        roles = roles_on(session, user, project.id)
        require(user.name, roles, Action.MANAGE_MEMBERS)
        if Role.ADMIN.value not in roles and user.name in affected:
            raise RoleError(
                f"{user.name} may not change their own memberships on {project.name}",
                hint="Separation of duties: an admin changes a lead's own roles.",
            )

    def _apply(self, session: Session, project: Project, actor: User, change: MembershipChange, source: str) -> bool:
        if change.change == "grant":
            person = ensure_user(session, change.user, [])  # an identity; the membership is the grant
            done = grant(session, project.id, person, change.role, actor.name)
        else:
            found = session.scalars(select(User).where(User.name == change.user)).first()
            done = found is not None and revoke(session, project.id, found, change.role)
        if done:
            audit_log.append(
                session,
                actor.name,
                f"membership-{'granted' if change.change == 'grant' else 'revoked'}",
                f"{project.name}/{change.user}",
                {"role": change.role, "source": source},
            )
        return done


def _member_role(role: Role) -> Role:
    if role not in MEMBER_ROLES:
        raise UsageError(
            f"{role.value} is not a project role",
            hint="Project roles: lead, infra, developer, security, client. Admins are made with `infragate admin "
            "create` (first admin) or `infragate user add NAME --admin`.",
        )
    return role


def _proposal(session: Session, project: Project, owners: Owners) -> list[MembershipChange]:
    wanted = {
        (person, role.value) for role in PROJECT_ROLES for person in owners.of(role) if not is_placeholder(person)
    }
    current = {(member.user, member.role) for member in members(session, project.id) if member.role != "client"}
    grants = [MembershipChange("grant", user, role) for user, role in sorted(wanted - current)]
    revokes = [MembershipChange("revoke", user, role) for user, role in sorted(current - wanted)]
    return grants + revokes
