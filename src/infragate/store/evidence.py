"""Evidence queries and records: approvals, the latest run of a kind, checklist items and their sign-offs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from infragate.store.schema import Approval, ChecklistItem, Run, SignOff, User


def record_approval(
    session: Session,
    *,
    project_id: int,
    environment: str | None,
    subject: str,
    digest: str,
    user: User,
    role: str,
    comment: str = "",
) -> Approval:
    approval = Approval(
        project_id=project_id,
        environment=environment,
        subject=subject,
        digest=digest,
        user_id=user.id,
        role=role,
        comment=comment,
        at=datetime.now(UTC),
    )
    session.add(approval)
    session.flush()
    return approval


def approvals(
    session: Session, project_id: int, subject: str, digest: str | None = None
) -> list[tuple[Approval, User]]:
    query = (
        select(Approval, User)
        .join(User, Approval.user_id == User.id)
        .where(Approval.project_id == project_id, Approval.subject == subject)
    )
    if digest is not None:
        query = query.where(Approval.digest == digest)
    return [(row[0], row[1]) for row in session.execute(query.order_by(Approval.at))]


def latest_run(session: Session, project_id: int, environment: str, kind: str) -> Run | None:
    query = (
        select(Run)
        .where(Run.project_id == project_id, Run.environment == environment, Run.kind == kind)
        .order_by(Run.started_at.desc(), Run.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def runs(session: Session, project_id: int, environment: str) -> list[Run]:
    query = select(Run).where(Run.project_id == project_id, Run.environment == environment).order_by(Run.id)
    return list(session.scalars(query))


@dataclass(frozen=True)
class ItemSpec:
    key: str
    title: str
    clause: str
    role: str
    automatic: bool


def ensure_items(session: Session, project_id: int, environment: str, specs: Iterable[ItemSpec]) -> list[ChecklistItem]:
    existing = {
        item.key: item
        for item in session.scalars(
            select(ChecklistItem).where(
                ChecklistItem.project_id == project_id, ChecklistItem.environment == environment
            )
        )
    }
    items = []
    for spec in specs:
        item = existing.get(spec.key)
        if item is None:
            item = ChecklistItem(project_id=project_id, environment=environment, key=spec.key)
            session.add(item)
        item.title, item.clause, item.role, item.automatic = spec.title, spec.clause, spec.role, spec.automatic
        items.append(item)
    session.flush()
    return items


def sign(session: Session, item: ChecklistItem, user: User, role: str, comment: str) -> SignOff:
    signed = SignOff(item_id=item.id, user_id=user.id, role=role, comment=comment, at=datetime.now(UTC))
    session.add(signed)
    session.flush()
    return signed


def sign_offs(session: Session, item_ids: Iterable[int]) -> dict[int, list[tuple[SignOff, User]]]:
    ids = list(item_ids)
    result: dict[int, list[tuple[SignOff, User]]] = {item_id: [] for item_id in ids}
    if not ids:
        return result
    query = select(SignOff, User).join(User, SignOff.user_id == User.id).where(SignOff.item_id.in_(ids))
    for signed, user in session.execute(query.order_by(SignOff.at)):
        result[signed.item_id].append((signed, user))
    return result
