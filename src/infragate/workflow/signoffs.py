"""Checklist sign-offs (ICP-5.1–5.3): a manual item is signed by its role, with a comment saying what was checked."""

from __future__ import annotations

import base64
import binascii
import hashlib
from pathlib import Path

from pydantic import Field
from sqlalchemy import select

from infragate.errors import UsageError
from infragate.model import Role
from infragate.policy import frameworks
from infragate.store import audit_log
from infragate.store.evidence import sign as sign_off
from infragate.store.requirements import sign_requirement as record_signature
from infragate.store.schema import ChecklistItem
from infragate.workflow.bus import handles
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.messages import Command, Http, Outcome
from infragate.workflow.project import open_project
from infragate.workflow.roles import RoleError

MAX_ATTACHMENT = 20 * 1024 * 1024
ENVIRONMENT = "/projects/{project}/environments/{environment}"


class SignChecklistItem(Command[Outcome]):
    """Sign a manual checklist item (only its role may), saying what was checked."""

    http = Http("POST", ENVIRONMENT + "/checklist/{key}/signatures", tag="checklist")
    project: str
    environment: str
    key: str
    comment: str = Field(..., max_length=2000)


@handles(SignChecklistItem)
def sign(command: SignChecklistItem, caller: Caller, uow: UnitOfWork) -> Outcome:
    work = open_project(uow, command.project, caller)
    environment, key, comment = command.environment, command.key, command.comment
    with work.as_caller() as (session, project, user):
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
            raise UsageError(f"'{key}' is met by evidence, not signed", hint="Produce the evidence (audit, verify).")
        if item.role not in work.roles_of(session, project, user):
            raise RoleError(f"{user.name} may not sign '{key}': it is signed by the {item.role} role")
        if not comment.strip():
            raise UsageError("a sign-off needs a comment saying what was checked", hint="Pass --comment '…'.")
        sign_off(session, item, user, item.role, comment)
        audit_log.append(
            session, user.name, "checklist-signed", f"{project.name}/{environment}/{key}", {"comment": comment}
        )
    uow.evidence_changed(work.name, environment)
    return Outcome(result="signed")


class SignRequirement(Command[Outcome]):
    """Security signs a manual requirement of a framework for an environment (ICP-5.3), with a comment and an
    optional attachment (base64; kept by its SHA-256)."""

    http = Http("POST", ENVIRONMENT + "/frameworks/{framework}/requirements/{requirement}/signature", tag="compliance")
    project: str
    environment: str
    framework: str
    requirement: str
    comment: str = Field(..., max_length=2000)
    attachment_name: str | None = Field(None, max_length=255)
    attachment_base64: str | None = Field(None, description="The attachment's bytes, base64 (at most 20 MiB).")


@handles(SignRequirement)
def sign_requirement(command: SignRequirement, caller: Caller, uow: UnitOfWork) -> Outcome:
    work = open_project(uow, command.project, caller)
    environment, framework_id, requirement_id, comment = (
        command.environment,
        command.framework,
        command.requirement,
        command.comment,
    )
    attachment = None
    if command.attachment_base64 is not None:
        try:
            data = base64.b64decode(command.attachment_base64, validate=True)
        except (binascii.Error, ValueError):
            raise UsageError("attachment_base64 is not base64", hint="Encode the file's bytes as base64.") from None
        attachment = (command.attachment_name or "attachment", data)
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
    work.design.environment(environment)  # an unknown environment is a usage error
    if not comment.strip():
        raise UsageError("a signature needs a comment saying what was checked", hint="Pass -m '…'.")
    if attachment is not None and len(attachment[1]) > MAX_ATTACHMENT:
        raise UsageError(f"{attachment[0]} is larger than 20 MiB", hint="Attach the evidence itself, smaller.")
    with work.as_caller() as (session, project, user):
        if Role.SECURITY.value not in work.roles_of(session, project, user):
            raise RoleError(
                f"{user.name} may not sign {spec.id} {requirement_id}: manual requirements are signed by the "
                "security role"
            )
        kept = None
        if attachment is not None:
            digest = hashlib.sha256(attachment[1]).hexdigest()
            folder = uow.settings.home / "attachments"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / digest).write_bytes(attachment[1])
            kept = (Path(attachment[0]).name[:255], digest)
        record_signature(
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
    uow.evidence_changed(work.name, environment)
    return Outcome(result=f"signed{f' (attachment sha256 {kept[1]})' if kept else ''}")
