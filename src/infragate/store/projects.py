"""Projects, their environments, users and runs: the rows everything else hangs off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from infragate.errors import UsageError
from infragate.json_values import JsonObject
from infragate.store.schema import DesignVersion, Environment, Project, Run, User, WaiverRecord


def ensure_project(session: Session, name: str, client: str, design_path: str, environments: list[str]) -> Project:
    project = session.scalars(select(Project).where(Project.name == name)).first()
    if project is None:
        project = Project(name=name, client=client, design_path=design_path, created_at=datetime.now(UTC))
        session.add(project)
    project.client, project.design_path = client, design_path
    known = {env.name for env in project.environments}
    project.environments += [Environment(name=env) for env in environments if env not in known]
    session.flush()
    return project


def ensure_user(session: Session, name: str, roles: list[str], email: str = "") -> User:
    limit: int = getattr(User.__table__.c.name.type, "length", 120)  # SQLite ignores column sizes; PostgreSQL not
    if not name.strip() or len(name) > limit or any(ord(ch) < 32 for ch in name):
        raise UsageError(
            f"{name[:40]!r} is not a valid user name: 1 to {limit} characters, no control characters",
            hint="Use the person's e-mail address or login name.",
        )
    user = session.scalars(select(User).where(User.name == name)).first()
    if user is None:
        user = User(name=name, email=email, roles=sorted(roles), created_at=datetime.now(UTC))
        session.add(user)
    else:
        user.roles = sorted(set(user.roles) | set(roles))
    session.flush()
    return user


def start_run(session: Session, project: Project, environment: str, kind: str) -> Run:
    run = Run(project_id=project.id, environment=environment, kind=kind, status="running", started_at=datetime.now(UTC))
    session.add(run)
    session.flush()
    return run


def finish_run(run: Run, *, succeeded: bool, summary: JsonObject, artifact_path: str | None = None) -> None:
    run.status = "succeeded" if succeeded else "failed"
    run.finished_at = datetime.now(UTC)
    run.summary = summary
    run.artifact_path = artifact_path


def record_design(session: Session, project: Project, digest: str, content: str) -> DesignVersion:
    """Keep every version of the design that infragate has worked with (approvals cite their digest)."""
    found = session.scalars(
        select(DesignVersion).where(DesignVersion.project_id == project.id, DesignVersion.digest == digest)
    ).first()
    if found is None:
        found = DesignVersion(project_id=project.id, digest=digest, content=content, recorded_at=datetime.now(UTC))
        session.add(found)
        session.flush()
    return found


@dataclass(frozen=True)
class WaiverSpec:
    rule_id: str
    component: str
    reason: str
    approver: str
    expires: datetime


def sync_waivers(session: Session, project: Project, waivers: list[WaiverSpec]) -> None:
    """The project's waivers as the current design grants them."""
    current = list(session.scalars(select(WaiverRecord).where(WaiverRecord.project_id == project.id)))
    wanted = {(w.rule_id, w.component, w.reason, w.approver, w.expires.date()) for w in waivers}
    have = {(w.rule_id, w.component, w.reason, w.approver, w.expires.date()): w for w in current}
    for key, record in have.items():
        if key not in wanted:
            session.delete(record)
    for waiver in waivers:
        key = (waiver.rule_id, waiver.component, waiver.reason, waiver.approver, waiver.expires.date())
        if key not in have:
            session.add(WaiverRecord(project_id=project.id, **waiver.__dict__))
    session.flush()
