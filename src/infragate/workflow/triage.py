"""Findings triage (ICP-4.4): list, assign, resolve and accept findings, with the role rules for severe ones."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from infragate.errors import UsageError
from infragate.store import audit_log
from infragate.store.findings import FindingStatus, open_findings
from infragate.store.schema import Finding, FindingEvent, Project, User
from infragate.store.timestamps import optional_utc
from infragate.workflow.bus import handles
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.messages import Command, Http, Offset, Outcome, Page, PageSize, Query, Result, RowId
from infragate.workflow.project import open_project
from infragate.workflow.roles import Action, require

__all__ = ["SEVERE", "AssignFinding", "FindingOut", "FindingStatus", "ListFindings", "ResolveFinding"]

SEVERE = ("critical", "high")


class FindingOut(Result):
    """A finding as people, the API and the CLI see it (one vocabulary in both modes)."""

    id: int
    environment: str
    source: str  # audit, test, stress, scan, pentest, cicd-config, cicd-github
    rule_id: str
    component: str
    severity: str
    status: str
    title: str
    message: str
    clause: str | None  # the policy clause it breaks, when the source says
    due: datetime | None

    @classmethod
    def of(cls, f: Finding) -> FindingOut:
        return cls(
            id=f.id,
            environment=f.environment,
            source=f.source,
            rule_id=f.rule_id,
            component=f.component,
            severity=f.severity,
            status=f.status,
            title=f.title,
            message=f.message,
            clause=f.clause,
            due=optional_utc(f.due_at),
        )


class ListFindings(Query[Page[FindingOut]]):
    """Findings of the project (open and in progress unless ``include_closed``), most severe first."""

    http = Http("GET", "/projects/{project}/findings", tag="findings")
    project: str
    environment: str | None = None
    include_closed: bool = False
    offset: Offset = 0
    limit: PageSize = 50


@handles(ListFindings)
def list_findings(command: ListFindings, caller: Caller, uow: UnitOfWork) -> Page[FindingOut]:
    from infragate.policy import Severity

    work = open_project(uow, command.project, caller)
    if command.environment is not None:
        work.design.environment(command.environment)  # an unknown environment is a usage error, not "no findings"
    with work.session() as (session, project):
        if not command.include_closed:
            found = open_findings(session, project.id, command.environment)
        else:
            query = select(Finding).where(Finding.project_id == project.id)
            if command.environment:
                query = query.where(Finding.environment == command.environment)
            found = list(session.scalars(query.order_by(Finding.id)))
        rows = [FindingOut.of(f) for f in found]
    # most severe first, then the soonest due (a page of forms stays usable), then the oldest
    rows.sort(key=lambda f: (-Severity(f.severity).rank, f.due.timestamp() if f.due else float("inf"), f.id))
    items = rows[command.offset : command.offset + command.limit]
    return Page[FindingOut](items=items, total=len(rows), offset=command.offset, limit=command.limit)


def _finding(session: Session, project: Project, finding_id: int) -> Finding:
    finding = session.get(Finding, finding_id)
    if finding is None or finding.project_id != project.id:
        raise UsageError(
            f"there is no finding {finding_id} in {project.name}", hint="`infragate findings list` shows them."
        )
    return finding


class AssignFinding(Command[Outcome]):
    """Assign a finding to the person who will fix it (lead or security)."""

    http = Http("PUT", "/projects/{project}/findings/{finding_id}/assignee", tag="findings")
    project: str
    finding_id: RowId
    user: str


@handles(AssignFinding)
def assign(command: AssignFinding, caller: Caller, uow: UnitOfWork) -> Outcome:
    work = open_project(uow, command.project, caller)
    with work.as_caller() as (session, project, user):
        require(user.name, work.roles_of(session, project, user), Action.ASSIGN_FINDING)
        finding = _finding(session, project, command.finding_id)
        target = session.scalars(select(User).where(User.name == command.user)).first()
        if target is None:
            raise UsageError(f"{command.user} is not a user", hint="`infragate user list` shows them.")
        finding.assignee_id = target.id
        finding.status = FindingStatus.IN_PROGRESS.value
        finding.events.append(
            FindingEvent(
                at=datetime.now(UTC), actor=user.name, status=finding.status, note=f"assigned to {command.user}"
            )
        )
        audit_log.append(
            session, user.name, "finding-assigned", f"{project.name}#{command.finding_id}", {"to": command.user}
        )
    return Outcome(result=f"assigned to {command.user}")


class ResolveFinding(Command[Outcome]):
    """Mark a finding fixed, verified (after fixed), a false positive or an accepted risk; high and critical
    ones, and every verification, only by security."""

    http = Http("POST", "/projects/{project}/findings/{finding_id}/resolution", tag="findings")
    project: str
    finding_id: RowId
    status: FindingStatus
    note: str


@handles(ResolveFinding)
def resolve(command: ResolveFinding, caller: Caller, uow: UnitOfWork) -> Outcome:
    work = open_project(uow, command.project, caller)
    status = command.status
    with work.as_caller() as (session, project, user):
        finding = _finding(session, project, command.finding_id)
        action = Action.ACCEPT_RISK if status is FindingStatus.ACCEPTED_RISK else Action.RESOLVE_FINDING
        if finding.severity in SEVERE or status is FindingStatus.VERIFIED:
            action = Action.RESOLVE_SEVERE_FINDING
        if status is FindingStatus.VERIFIED and finding.status != FindingStatus.FIXED.value:
            raise UsageError(
                f"finding {command.finding_id} is {finding.status}: only a fixed finding can be verified",
                hint="Mark it fixed first (or let the next run find it gone).",
            )
        require(user.name, work.roles_of(session, project, user), action)
        if not command.note.strip():
            raise UsageError("a resolution needs a note saying why", hint="Pass --note '…'.")
        finding.status = status.value
        finding.events.append(
            FindingEvent(at=datetime.now(UTC), actor=user.name, status=status.value, note=command.note)
        )
        audit_log.append(
            session,
            user.name,
            f"finding-{status.value}",
            f"{project.name}#{command.finding_id}",
            {"note": command.note},
        )
        environment = finding.environment
    uow.evidence_changed(work.name, environment)
    return Outcome(result=status.value)
