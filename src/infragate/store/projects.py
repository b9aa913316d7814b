"""Projects, their environments, users and runs: the rows everything else hangs off."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from infragate.store.schema import Environment, Project, Run, User


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


def finish_run(run: Run, *, succeeded: bool, summary: dict[str, Any], artifact_path: str | None = None) -> None:
    run.status = "succeeded" if succeeded else "failed"
    run.finished_at = datetime.now(UTC)
    run.summary = summary
    run.artifact_path = artifact_path
