"""Checklist sign-offs (ICP-5.1–5.3): a manual item is signed by its role, with a comment saying what was checked."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select

from infragate.errors import UsageError
from infragate.model import Role
from infragate.policy import frameworks
from infragate.store import audit_log
from infragate.store.evidence import sign
from infragate.store.requirements import sign_requirement
from infragate.store.schema import ChecklistItem
from infragate.workflow.base import WorkflowBase
from infragate.workflow.roles import RoleError

MAX_ATTACHMENT = 20 * 1024 * 1024


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

    # -- manual requirements of compliance frameworks (ICP-5.3) ----------------------------------------------
    def sign_requirement(
        self,
        environment: str,
        framework_id: str,
        requirement_id: str,
        comment: str,
        attachment: tuple[str, bytes] | None = None,
        home: Path | None = None,
    ) -> str:
        """Security signs a manual requirement of a framework for an environment, with a comment and an
        optional attachment (kept under ``home``/attachments by its SHA-256). Returns the attachment's digest
        ('' without one)."""
        spec = frameworks.framework(framework_id)
        requirement = next((r for r in spec.requirements if r.id == requirement_id), None)
        if requirement is None:
            raise UsageError(
                f"{spec.id} has no requirement '{requirement_id}'",
                hint=f"`infragate compliance report --env {environment} --framework {spec.id}` lists them.",
            )
        if not requirement.manual:
            raise UsageError(
                f"{spec.id} {requirement_id} is judged by evidence, not signed",
                hint="Produce the evidence it names (an audit, a scan, a checklist item).",
            )
        self.design.environment(environment)  # an unknown environment is a usage error
        if not comment.strip():
            raise UsageError("a signature needs a comment saying what was checked", hint="Pass -m '…'.")
        if attachment is not None and len(attachment[1]) > MAX_ATTACHMENT:
            raise UsageError(f"{attachment[0]} is larger than 20 MiB", hint="Attach the evidence itself, smaller.")
        with self._session() as (session, project, user):
            if Role.SECURITY.value not in self.roles_of(session, project, user):
                raise RoleError(
                    f"{user.name} may not sign {spec.id} {requirement_id}: manual requirements are signed by the "
                    "security role"
                )
            kept = None
            if attachment is not None:
                digest = hashlib.sha256(attachment[1]).hexdigest()
                folder = (home or Path()) / "attachments"
                folder.mkdir(parents=True, exist_ok=True)
                (folder / digest).write_bytes(attachment[1])
                kept = (Path(attachment[0]).name[:255], digest)
            sign_requirement(
                session,
                project_id=project.id,
                environment=environment,
                framework=spec.id,
                requirement=requirement_id,
                user=user,
                role=Role.SECURITY.value,
                comment=comment,
                attachment=kept,
            )
            audit_log.append(
                session,
                user.name,
                "requirement-signed",
                f"{project.name}/{environment}/{spec.id}/{requirement_id}",
                {"comment": comment, "attachment_sha256": kept[1] if kept else None},
            )
        return kept[1] if kept else ""
