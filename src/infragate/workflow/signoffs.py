"""Checklist sign-offs (ICP-5.1–5.3): a manual item is signed by its role, with a comment saying what was checked."""

from __future__ import annotations

from sqlalchemy import select

from infragate.errors import UsageError
from infragate.store import audit_log
from infragate.store.evidence import sign
from infragate.store.schema import ChecklistItem
from infragate.workflow.base import WorkflowBase
from infragate.workflow.roles import RoleError


class Signoffs(WorkflowBase):
    # -- checklist --------------------------------------------------------------------------------------
    def sign(self, environment: str, key: str, comment: str) -> None:
        with self._session() as (session, project, user):
            item = session.scalars(
                select(ChecklistItem).where(
                    ChecklistItem.project_id == project.id,
                    ChecklistItem.environment == environment,
                    ChecklistItem.key == key,
                )
            ).first()
            if item is None:
                raise UsageError(
                    f"no checklist item '{key}' for {environment}", hint="`infragate checklist show` lists them."
                )
            if item.automatic:
                raise UsageError(
                    f"'{key}' is met by evidence, not signed", hint="Produce the evidence (audit, verify)."
                )
            if item.role not in self.roles_of(session, project, user):
                raise RoleError(f"{user.name} may not sign '{key}': it is signed by the {item.role} role")
            if not comment.strip():
                raise UsageError("a sign-off needs a comment saying what was checked", hint="Pass --comment '…'.")
            sign(session, item, user, item.role, comment)
            audit_log.append(
                session, user.name, "checklist-signed", f"{project.name}/{environment}/{key}", {"comment": comment}
            )
