"""Signatures of manual compliance-framework requirements (ICP-5.3), per environment."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from infragate.store.schema import RequirementSignOff, User
from infragate.store.timestamps import as_utc


@dataclass(frozen=True)
class Signature:
    """Security's signature on a manual requirement."""

    signer: str
    at: datetime
    comment: str
    attachment_name: str | None = None
    attachment_sha256: str | None = None

    def describe(self) -> str:
        attached = ""
        if self.attachment_name and self.attachment_sha256:
            attached = f" (attached {self.attachment_name}, sha256 {self.attachment_sha256[:12]}…)"
        return f"signed by {self.signer} on {self.at:%Y-%m-%d}: {self.comment}{attached}"


def sign_requirement(
    session: Session,
    *,
    project_id: int,
    environment: str,
    framework: str,
    requirement: str,
    user: User,
    role: str,
    comment: str,
    attachment: tuple[str, str] | None = None,  # (name, sha256)
) -> RequirementSignOff:
    row = RequirementSignOff(
        project_id=project_id,
        environment=environment,
        framework=framework,
        requirement=requirement,
        user_id=user.id,
        role=role,
        comment=comment,
        attachment_name=attachment[0] if attachment else None,
        attachment_sha256=attachment[1] if attachment else None,
        at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    return row


def requirement_signatures(
    session: Session, project_id: int, environment: str, signers: Collection[str]
) -> dict[tuple[str, str], Signature]:
    """The latest signature of each requirement by someone who holds the signing role now (a signature by
    someone who has since left the role no longer counts)."""
    rows = session.execute(
        select(RequirementSignOff, User)
        .join(User, RequirementSignOff.user_id == User.id)
        .where(RequirementSignOff.project_id == project_id, RequirementSignOff.environment == environment)
        .order_by(RequirementSignOff.id)
    )
    found: dict[tuple[str, str], Signature] = {}
    for row, user in rows.tuples():
        if user.name in signers:
            found[(row.framework, row.requirement)] = Signature(
                user.name, as_utc(row.at), row.comment, row.attachment_name, row.attachment_sha256
            )
    return found
