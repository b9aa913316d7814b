"""Who may cancel a job: whoever asked for it, the lead of its project, or an admin; refusals are audit-logged."""

from __future__ import annotations

from sqlalchemy import select

from infragate.errors import UsageError
from infragate.model import Role
from infragate.store import Store, audit_log
from infragate.store import jobs as job_store
from infragate.store.jobs import JobView
from infragate.store.memberships import roles_on
from infragate.store.schema import Project, User
from infragate.workflow.roles import RoleError


def cancel(store: Store, job_id: int, actor: str) -> JobView:
    job = job_store.get(store, job_id)
    if job is None:
        raise UsageError(f"there is no job {job_id}", hint="`infragate jobs list` shows them.")
    with store.session() as session:
        user = session.scalars(select(User).where(User.name == actor)).first()
        project = session.scalars(select(Project).where(Project.name == job.project)).first()
        roles = roles_on(session, user, project.id) if user is not None and project is not None else set()
        allowed = actor == job.requested_by or bool(roles & {Role.LEAD.value, Role.ADMIN.value})
        if not allowed:
            audit_log.append(session, actor, "refused", f"job {job_id}", {"kind": "cancel", "of": job.requested_by})
    if not allowed:
        raise RoleError(
            f"{actor} may not cancel job {job_id}: it was asked for by {job.requested_by}",
            hint="The requester, the project's lead or an admin can cancel it.",
        )
    if job.state not in job_store.ACTIVE:
        raise UsageError(f"job {job_id} is already {job.state}", hint="Only queued or running jobs can be cancelled.")
    cancelled = job_store.request_cancel(store, job_id)
    with store.session() as session:
        audit_log.append(session, actor, "job-cancel-requested", f"job {job_id}", {"state": job.state})
    return cancelled or job
