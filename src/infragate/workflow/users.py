"""Users, decided here for every front end. Only admins add users and make admins; the first admin is made
on the host that holds the store (``infragate admin create``), never by whoever comes first. Project roles are
memberships (``workflow.memberships``); ``admin`` is the only global role."""

from __future__ import annotations

import getpass
import socket

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from infragate.errors import UsageError
from infragate.store import Store, audit_log
from infragate.store.memberships import ADMIN
from infragate.store.projects import ensure_user
from infragate.store.schema import Membership, Project, User
from infragate.workflow.bus import handles
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.messages import Command, Http, Items, Query, Result
from infragate.workflow.roles import Action, RoleError, require


def add_user(store: Store, actor: str, name: str, *, admin: bool = False, email: str = "") -> User:
    """An admin adds a user (an identity with no role yet), or makes an existing user an admin."""
    try:
        with store.session() as session:
            me = session.scalars(select(User).where(User.name == actor)).first()
            if not _any_admin(session):
                raise UsageError(
                    "there is no admin yet",
                    hint="Make the first one on the host that holds the store: infragate admin create NAME",
                )
            require(actor, me.roles if me else [], Action.MANAGE_USERS)
            user = ensure_user(session, name, [ADMIN] if admin else [], email)
            audit_log.append(session, actor, "user-added", name, {"admin": admin})
            return user
    except RoleError as refused:  # rolled back; the refusal itself is kept, in a transaction of its own
        with store.session() as session:
            audit_log.append(session, actor, "refused", name, {"kind": "user-add", "reason": refused.message})
        raise


def create_admin(store: Store, name: str, email: str = "") -> tuple[User, bool]:
    """Bootstrap: make ``name`` an admin. Only the host's own CLI (which opens the store directly) calls this;
    the audit log records the host account that did it. Returns the user and whether anything changed."""
    host_actor = f"host:{_login()}@{socket.gethostname()}"
    with store.session() as session:
        existing = session.scalars(select(User).where(User.name == name)).first()
        if existing is not None and ADMIN in existing.roles:
            return existing, False
        user = ensure_user(session, name, [ADMIN], email)
        audit_log.append(session, host_actor, "admin-created", name, {"email": email})
        return user, True


def _any_admin(session: Session) -> bool:
    return any(ADMIN in user.roles for user in session.scalars(select(User)))


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "unknown"


class UserRoles(Result):
    """A user's roles: admin or not, and their memberships by project."""

    name: str
    admin: bool
    projects: dict[str, list[str]]

    def describe(self) -> str:
        parts = ["admin"] if self.admin else []
        parts += [f"{project}: {', '.join(roles)}" for project, roles in sorted(self.projects.items())]
        return "; ".join(parts) or "no role on any project"


def user_roles(store: Store, name: str | None = None) -> list[UserRoles]:
    """Every user's roles (or one user's: an empty list when there is no such user)."""
    with store.session() as session:
        query = select(User).order_by(User.name)
        if name is not None:
            query = query.where(User.name == name)
        users = list(session.scalars(query))
        memberships = (
            select(Membership.user_id, Project.name, Membership.role)
            .join(Project, Project.id == Membership.project_id)
            .order_by(Project.name, Membership.role)
        )
        if name is not None:  # one user's: not every membership of the organisation
            memberships = memberships.where(Membership.user_id.in_([user.id for user in users]))
        rows = session.execute(memberships).all()
    by_user: dict[int, dict[str, list[str]]] = {}
    for user_id, project, role in rows:
        by_user.setdefault(user_id, {}).setdefault(project, []).append(role)
    return [UserRoles(name=user.name, admin=ADMIN in user.roles, projects=by_user.get(user.id, {})) for user in users]


def roles_in_scope(store: Store, caller: Caller) -> UserRoles:
    """The caller's roles (``user_roles``) within their token's scope."""
    found = user_roles(store, caller.name)
    if not found:
        return UserRoles(name=caller.name, admin=False, projects={})
    projects = {
        project: sorted(caller.scope.limit(project, set(roles)))
        for project, roles in found[0].projects.items()
        if caller.scope.limit(project, set(roles))
    }
    admin = found[0].admin and (not caller.scope.roles or ADMIN in caller.scope.roles)
    return UserRoles(name=caller.name, admin=admin, projects=projects)


def require_admin(store: Store, caller: Caller, action: str) -> None:
    """Refuse unless the caller is an admin (within their token's scope, on the server)."""
    if caller.authenticated:
        if not roles_in_scope(store, caller).admin:
            raise RoleError(f"{caller.name} may not {action}: that needs the role admin")
        return
    with store.session() as session:
        me = session.scalars(select(User).where(User.name == caller.name)).first()
        require(caller.actor, me.roles if me else [], Action.MANAGE_USERS)


# -- use-cases ------------------------------------------------------------------------------------------------
class Me(Result):
    name: str
    via: str
    admin: bool
    projects: dict[str, list[str]]
    known: bool = True  # False: the name is not a user of infragate


class WhoAmI(Query[Me]):
    """Who infragate acts as, and the roles that user holds on each project."""

    http = Http("GET", "/me", tag="identity")


@handles(WhoAmI)
def who_am_i(command: WhoAmI, caller: Caller, uow: UnitOfWork) -> Me:
    if not caller.name:
        raise UsageError(
            "infragate does not know who you are",
            hint="Set INFRAGATE_USER to your user name (e.g. export INFRAGATE_USER=lena.lead@example.com).",
        )
    known = bool(user_roles(uow.store, caller.name))
    roles = roles_in_scope(uow.store, caller)
    return Me(name=caller.name, via=caller.via, admin=roles.admin, projects=roles.projects, known=known)


class Users(Items[UserRoles]):
    """Every user and their roles."""


class ListUsers(Query[Users]):
    """Every user and their roles (admins only, on the server)."""

    http = Http("GET", "/users", tag="users")


@handles(ListUsers)
def list_users(command: ListUsers, caller: Caller, uow: UnitOfWork) -> Users:
    if caller.authenticated:
        require_admin(uow.store, caller, "list users")
    return Users(user_roles(uow.store))


class AddUser(Command[UserRoles]):
    """Add a user (an identity with no role yet), or make one an admin (admins only)."""

    http = Http("POST", "/users", status=201, tag="users")
    name: str = Field(..., min_length=1, max_length=120)
    admin: bool = False
    email: str = Field("", max_length=200)


@handles(AddUser)
def add_user_command(command: AddUser, caller: Caller, uow: UnitOfWork) -> UserRoles:
    if caller.authenticated:
        require_admin(uow.store, caller, "manage users")  # within the token's scope, then the use-case decides
    add_user(uow.store, caller.actor, command.name, admin=command.admin, email=command.email)
    (made,) = user_roles(uow.store, command.name)
    return made


class AdminMade(Result):
    name: str
    created: bool  # False: already an admin


class CreateAdmin(Command[AdminMade]):
    """Bootstrap on the host that holds the store: make ``name`` an admin (audit-logged with the host account).
    No API serves it: whoever can open the store is the host."""

    name: str
    email: str = ""
    password: str | None = Field(None, repr=False)


@handles(CreateAdmin)
def create_admin_command(command: CreateAdmin, caller: Caller, uow: UnitOfWork) -> AdminMade:
    from infragate.workflow.accounts import PASSWORD_MIN, set_password

    if command.password is not None and len(command.password) < PASSWORD_MIN:  # checked before anything is made
        raise UsageError(f"a password needs at least {PASSWORD_MIN} characters", hint="Choose a longer one.")
    user, created = create_admin(uow.store, command.name, command.email)
    if command.password is not None:
        set_password(uow.store, None, user.name, command.password)
    return AdminMade(name=user.name, created=created)
