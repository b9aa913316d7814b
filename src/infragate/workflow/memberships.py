"""Projects and their memberships: registering a project from its design, and who holds which role on it.

Roles are per project. A design's ``owners`` section is a proposal: registering or changing a design shows
the membership changes it implies, and an admin or the project's lead applies them, audit-logged. Loading a
design grants nothing. Beyond the design's proposal, only admins add or remove members; and a lead applying a
proposal cannot change their own memberships, so a lead cannot make themself their project's security reviewer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from infragate.errors import UsageError
from infragate.model import Role
from infragate.model.names import is_placeholder
from infragate.model.project import Owners
from infragate.store import audit_log
from infragate.store.memberships import grant, members, revoke, roles_on
from infragate.store.projects import ensure_user
from infragate.store.schema import Project, User
from infragate.workflow.bus import handles
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.messages import Command, Http, Items, Query, Result
from infragate.workflow.project import PROJECT_ROLES, ProjectWork, open_project
from infragate.workflow.roles import Action, RoleError, require

MEMBER_ROLES = (*PROJECT_ROLES, Role.CLIENT)


class MembershipChange(Result):
    change: Literal["grant", "revoke"]
    user: str
    role: str

    def describe(self) -> str:
        return f"{'+' if self.change == 'grant' else '-'} {self.user} as {self.role}"


class MembershipChanges(Items[MembershipChange]):
    """Membership changes, applied or proposed."""


class Member(Result):
    user: str
    role: str
    granted_by: str
    granted_at: datetime


class Members(Items[Member]):
    """A project's members and their roles, with who granted each."""


class Registration(Result):
    name: str
    client: str
    environments: list[str]
    proposal: list[MembershipChange]  # what the design's owners imply, not yet applied
    applied: bool = False


class RegisterProject(Command[Registration]):
    """Register (or update) the design's project, audit-logged, and say what memberships its owners propose;
    with ``apply_members`` also apply them (an admin, or the project's lead)."""

    project: str
    apply_members: bool = False


@handles(RegisterProject)
def register_project(command: RegisterProject, caller: Caller, uow: UnitOfWork) -> Registration:
    work = open_project(uow, command.project, caller)
    with work.session() as (session, project):
        audit_log.append(session, work.actor, "project-registered", project.name, {"design": work.design.digest})
        registered = Registration(
            name=project.name,
            client=project.client,
            environments=[environment.name for environment in project.environments],
            proposal=_proposal(session, project, work.design.project.owners),
        )
    for environment in registered.environments:  # a (new) design: its stage and next step are settled now
        uow.evidence_changed(registered.name, environment)
    if not command.apply_members:
        return registered
    return registered.model_copy(update={"proposal": _apply_proposal(work), "applied": True})


class ListMembers(Query[Members]):
    """The project's members and their roles, with who granted each."""

    http = Http("GET", "/projects/{project}/members", tag="members")
    project: str


@handles(ListMembers)
def list_members(command: ListMembers, caller: Caller, uow: UnitOfWork) -> Members:
    work = open_project(uow, command.project, caller)
    with work.session() as (session, project):
        return Members([Member(**vars(m)) for m in members(session, project.id)])


class ProposedMemberships(Query[MembershipChanges]):
    """What the design's owners imply: grants for people it names, revocations for members it no longer names
    (client memberships are not the design's to propose, and are left alone)."""

    http = Http("GET", "/projects/{project}/members/proposal", tag="members")
    project: str


@handles(ProposedMemberships)
def proposed_memberships(command: ProposedMemberships, caller: Caller, uow: UnitOfWork) -> MembershipChanges:
    work = open_project(uow, command.project, caller)
    with work.session() as (session, project):
        return MembershipChanges(_proposal(session, project, work.design.project.owners))


class ApplyMemberships(Command[MembershipChanges]):
    """Apply the design's proposal: by an admin, or by the project's lead (but not to themself)."""

    http = Http("POST", "/projects/{project}/members/proposal", tag="members")
    project: str


@handles(ApplyMemberships)
def apply_memberships(command: ApplyMemberships, caller: Caller, uow: UnitOfWork) -> MembershipChanges:
    return MembershipChanges(_apply_proposal(open_project(uow, command.project, caller)))


def _apply_proposal(work: ProjectWork) -> list[MembershipChange]:
    with work.as_caller() as (session, project, user):
        changes = _proposal(session, project, work.design.project.owners)
        roles = roles_on(session, user, project.id)
        require(user.name, work.caller.scope.limit(project.name, roles), Action.MANAGE_MEMBERS)
        if Role.ADMIN.value not in roles and user.name in [change.user for change in changes]:
            raise RoleError(
                f"{user.name} may not change their own memberships on {project.name}",
                hint="Separation of duties: an admin changes a lead's own roles.",
            )
        for change in changes:
            _apply(session, project, user, change, source="design")
        return changes


class AddMember(Command[MembershipChange]):
    """Grant a role on the project (admins only; a lead applies the design's owners with ``ApplyMemberships``)."""

    http = Http("POST", "/projects/{project}/members", status=201, tag="members")
    project: str
    user: str = Field(..., min_length=1, max_length=120)
    role: Role


class RemoveMember(Command[MembershipChange]):
    """Take a role on the project away (admins only)."""

    http = Http("DELETE", "/projects/{project}/members/{user}/{role}", tag="members")
    project: str
    user: str
    role: Role


@handles(AddMember)
def add_member(command: AddMember, caller: Caller, uow: UnitOfWork) -> MembershipChange:
    change = MembershipChange(change="grant", user=command.user, role=_member_role(command.role).value)
    return _change_member(open_project(uow, command.project, caller), change)


@handles(RemoveMember)
def remove_member(command: RemoveMember, caller: Caller, uow: UnitOfWork) -> MembershipChange:
    change = MembershipChange(change="revoke", user=command.user, role=_member_role(command.role).value)
    return _change_member(open_project(uow, command.project, caller), change)


def _change_member(work: ProjectWork, change: MembershipChange) -> MembershipChange:
    """By hand, memberships are an admin's to change; a lead applies only what the design proposes."""
    with work.as_caller() as (session, project, user):
        require(user.name, work.roles_of(session, project, user), Action.MANAGE_USERS)
        if change.change == "revoke" and not session.scalars(select(User).where(User.name == change.user)).first():
            raise UsageError(f"{change.user} is not a user", hint="`infragate project members list` shows them.")
        if not _apply(session, project, user, change, source="by hand"):
            verb = "already holds" if change.change == "grant" else "does not hold"
            raise UsageError(f"{change.user} {verb} the role {change.role} on {project.name}", hint="Nothing to do.")
    for environment in work.design.environments:  # who holds a role changes whose approvals count
        work.uow.evidence_changed(work.name, environment)
    return change


def _apply(session: Session, project: Project, actor: User, change: MembershipChange, source: str) -> bool:
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
    grants = [MembershipChange(change="grant", user=user, role=role) for user, role in sorted(wanted - current)]
    revokes = [MembershipChange(change="revoke", user=user, role=role) for user, role in sorted(current - wanted)]
    return grants + revokes
