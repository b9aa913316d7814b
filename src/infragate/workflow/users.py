"""Users, decided here for every front end. Only admins add users and make admins; the first admin is made
on the host that holds the store (``infragate admin create``), never by whoever comes first. Project roles are
memberships (``workflow.memberships``); ``admin`` is the only global role."""

from __future__ import annotations

import getpass
import socket
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from infragate.errors import UsageError
from infragate.store import Store, audit_log
from infragate.store.memberships import ADMIN
from infragate.store.projects import ensure_user
from infragate.store.schema import Membership, Project, User
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


@dataclass(frozen=True)
class UserRoles:
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
    return [UserRoles(user.name, ADMIN in user.roles, by_user.get(user.id, {})) for user in users]
