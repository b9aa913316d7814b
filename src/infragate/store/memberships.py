"""Memberships: who holds which role on which project. Roles are per project; only ``admin`` is global."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from infragate.store.schema import Membership, User

ADMIN = "admin"


@dataclass(frozen=True)
class Member:
    user: str
    role: str
    granted_by: str
    granted_at: datetime


def roles_on(session: Session, user: User, project_id: int) -> set[str]:
    """The roles ``user`` holds on the project, plus ``admin`` when the user is an admin."""
    held = set(
        session.scalars(
            select(Membership.role).where(Membership.user_id == user.id, Membership.project_id == project_id)
        )
    )
    if ADMIN in user.roles:
        held.add(ADMIN)
    return held


def members(session: Session, project_id: int) -> list[Member]:
    rows = session.execute(
        select(User.name, Membership.role, Membership.granted_by, Membership.granted_at)
        .join(User, User.id == Membership.user_id)
        .where(Membership.project_id == project_id)
        .order_by(Membership.role, User.name)
    )
    return [Member(name, role, granted_by, granted_at) for name, role, granted_by, granted_at in rows]


def holders(session: Session, project_id: int, role: str) -> set[str]:
    """The names of the project's members in ``role``."""
    return {member.user for member in members(session, project_id) if member.role == role}


def grant(session: Session, project_id: int, user: User, role: str, granted_by: str) -> bool:
    """Give ``user`` the role on the project; False when it was already held."""
    found = session.scalars(
        select(Membership).where(
            Membership.project_id == project_id, Membership.user_id == user.id, Membership.role == role
        )
    ).first()
    if found is not None:
        return False
    session.add(
        Membership(
            project_id=project_id, user_id=user.id, role=role, granted_by=granted_by, granted_at=datetime.now(UTC)
        )
    )
    session.flush()
    return True


def revoke(session: Session, project_id: int, user: User, role: str) -> bool:
    """Take the role on the project from ``user``; False when it was not held."""
    found = session.scalars(
        select(Membership).where(
            Membership.project_id == project_id, Membership.user_id == user.id, Membership.role == role
        )
    ).first()
    if found is None:
        return False
    session.delete(found)
    session.flush()
    return True
