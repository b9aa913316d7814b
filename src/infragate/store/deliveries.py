"""Webhook deliveries: each kept once (a second one with the same id or signed body is a replay), and the
CircleCI job outcomes they carry, per workflow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from infragate.errors import DuplicateDeliveryError
from infragate.store.schema import WebhookDelivery


@dataclass(frozen=True)
class Seen:
    """A delivery to keep: who sent it, its ids, and the job outcome it reports (if any)."""

    provider: str
    delivery_id: str
    body_digest: str
    event: str
    project_id: int | None
    happened_at: datetime
    workflow_id: str = ""
    sha: str = ""
    job: str = ""
    status: str = ""


def remember(session: Session, seen: Seen) -> None:
    """Keep the delivery, or refuse it when its id or body was delivered before (also when two copies race:
    the unique constraints decide)."""
    earlier = session.scalars(
        select(WebhookDelivery).where(
            WebhookDelivery.provider == seen.provider,
            or_(WebhookDelivery.delivery_id == seen.delivery_id, WebhookDelivery.body_digest == seen.body_digest),
        )
    ).first()
    if earlier is not None:
        raise _replayed(seen, earlier.received_at)
    row = WebhookDelivery(**seen.__dict__, received_at=datetime.now(UTC))
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise _replayed(seen, None) from None


def _replayed(seen: Seen, at: datetime | None) -> DuplicateDeliveryError:
    when = f" (first received {at:%Y-%m-%d %H:%M:%S} UTC)" if at is not None else ""
    return DuplicateDeliveryError(
        f"{seen.provider} delivery {seen.delivery_id} was received before{when}: a replay or a retry",
        hint="Each delivery is recorded once; nothing was changed.",
    )


def job_outcomes(session: Session, project_id: int, workflow_ids: list[str]) -> dict[str, dict[str, str]]:
    """Per workflow, the last reported status of each job (CircleCI job-completed deliveries)."""
    if not workflow_ids:
        return {}
    rows = session.scalars(
        select(WebhookDelivery)
        .where(
            WebhookDelivery.project_id == project_id,
            WebhookDelivery.provider == "circleci",
            WebhookDelivery.workflow_id.in_(workflow_ids),
            WebhookDelivery.job != "",
        )
        .order_by(WebhookDelivery.happened_at, WebhookDelivery.id)
    )
    found: dict[str, dict[str, str]] = {}
    for row in rows:
        found.setdefault(row.workflow_id, {})[row.job] = row.status
    return found


def workflows_of(session: Session, project_id: int, sha: str) -> list[str]:
    """The CircleCI workflows that ran for a commit, as their deliveries reported them."""
    if not sha:
        return []
    rows = session.scalars(
        select(WebhookDelivery.workflow_id)
        .where(
            WebhookDelivery.project_id == project_id,
            WebhookDelivery.provider == "circleci",
            WebhookDelivery.sha == sha,
            WebhookDelivery.workflow_id != "",
        )
        .distinct()
    )
    return list(rows)
