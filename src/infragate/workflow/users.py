"""Users and their roles, decided here for every front end: only admins manage users, and the very first
user must be an admin who adds themself (local mode; team mode will bootstrap on the server host)."""

from __future__ import annotations

from sqlalchemy import select

from infragate.errors import UsageError
from infragate.model import Role
from infragate.store import Store, audit_log
from infragate.store.projects import ensure_user
from infragate.store.schema import User
from infragate.workflow.roles import Action, require


def add_user(store: Store, actor: str, name: str, roles: list[Role], email: str = "") -> User:
    with store.session() as session:
        has_admin = any(Role.ADMIN.value in u.roles for u in session.scalars(select(User)))
        if has_admin:
            me = session.scalars(select(User).where(User.name == actor)).first()
            require(actor, me.roles if me else [], Action.MANAGE_USERS)
        elif Role.ADMIN not in roles or name != actor:
            you = actor if actor != "infragate" else "<your name>"
            raise UsageError(
                "there is no admin yet: the first user must be an admin who adds themself",
                hint=f"INFRAGATE_USER={you} infragate user add {you} --role admin; then, as that admin, add {name}.",
            )
        user = ensure_user(session, name, [role.value for role in roles], email)
        audit_log.append(session, actor, "user-added", name, {"roles": user.roles})
        return user


def list_users(store: Store) -> list[User]:
    with store.session() as session:
        return list(session.scalars(select(User).order_by(User.name)))
