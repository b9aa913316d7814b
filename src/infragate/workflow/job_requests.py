"""Asking for jobs and reading them: who may queue which kind of job on a project, and who may watch it.

The queue (``infragate.jobs``) carries and runs jobs; this decides, for every front end, whether a person may
ask for one. Reading checks (verify, audit, drift) may be asked for by anyone working on the project; an apply
changes AWS, so only the lead or the infrastructure team may ask for it. Clients read, they do not run.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from infragate.errors import NotFoundError, UsageError
from infragate.model import Role
from infragate.store import audit_log
from infragate.store import jobs as job_store
from infragate.store.jobs import JobView
from infragate.store.schema import User
from infragate.workflow.base import PROJECT_ROLES, WorkflowBase
from infragate.workflow.roles import Action, RoleError, require

JOB_KINDS = ("verify", "audit", "drift", "apply", "test", "stress", "scan", "drill")
MAY_REQUEST: dict[str, frozenset[str]] = {
    "verify": frozenset(r.value for r in PROJECT_ROLES),
    "audit": frozenset(r.value for r in PROJECT_ROLES),
    "drift": frozenset(r.value for r in PROJECT_ROLES),
    "test": frozenset(r.value for r in PROJECT_ROLES),
    "stress": frozenset({Role.LEAD.value, Role.INFRA.value, Role.DEVELOPER.value}),  # load: not security's call
    "apply": frozenset({Role.LEAD.value, Role.INFRA.value}),
    "scan": frozenset(r.value for r in PROJECT_ROLES),  # a production scan is refused when it runs, unless security
    "drill": frozenset({Role.LEAD.value, Role.INFRA.value}),  # it makes (and deletes) AWS resources
}


class JobRequests(WorkflowBase):
    def request_job(self, environment: str, kind: str, params: dict[str, Any] | None = None) -> JobView:
        """Record a queued job for ``kind`` on ``environment`` as the acting user (the caller hands its id to
        the queue). Refused, and audit-logged, for a role that may not ask for it."""
        if kind not in MAY_REQUEST:
            raise UsageError(f"there is no job kind '{kind}'", hint=f"Use one of: {', '.join(JOB_KINDS)}.")
        self.design.environment(environment)  # an unknown environment is a usage error
        with self._session() as (session, project, user):
            held = self.roles_of(session, project, user) - {Role.ADMIN.value}
            if not held & MAY_REQUEST[kind]:
                raise RoleError(
                    f"{user.name} may not ask for a{'n' if kind[0] in 'aeiou' else ''} {kind} job on {project.name}: "
                    f"that needs the role {' or '.join(sorted(MAY_REQUEST[kind]))}, and {user.name} has "
                    f"{', '.join(sorted(held)) or 'no role on it'}",
                    hint="Ask the project's lead, or an admin to grant the role.",
                )
            requester = user.name
            audit_log.append(session, requester, "job-requested", f"{project.name}/{environment}", {"kind": kind})
        return job_store.create(
            self.store,
            project=self.design.project.name,
            environment=environment,
            kind=kind,
            requested_by=requester,
            params=params,
        )

    def add_schedule(self, environment: str, name: str, kind: str, cron: str) -> None:
        """A lead or security person schedules a recurring job, as themselves. A scheduled scan of production
        runs as the person who scheduled it, so only security may schedule one (ICP-4.1, ICP-R3)."""
        from pydantic import ValidationError

        from infragate.model.project import ScheduleSpec

        env = self.design.environment(environment)
        try:
            ScheduleSpec(kind=kind, cron=cron)
        except ValidationError as invalid:
            field = str(invalid.errors()[0]["loc"][0])
            said = (
                f"kind '{kind}' is not drift, verify, audit or scan"
                if field == "kind"
                else (f"cron '{cron}' is not five cron fields (minute hour day-of-month month day-of-week)")
            )
            raise UsageError(
                f"schedule {name}: {said}", hint="For example: --kind scan --cron '0 3 * * 1' (UTC)."
            ) from None
        with self._session() as (session, project, user):
            roles = self.roles_of(session, project, user)
            action = (
                Action.SCAN_PRODUCTION if kind == "scan" and env.settings.is_production else Action.MANAGE_SCHEDULES
            )
            require(user.name, roles, action)
            job_store.ensure_schedule(
                session,
                project=project.name,
                environment=environment,
                name=name,
                kind=kind,
                cron=cron,
                created_by=user.name,
            )
            audit_log.append(
                session,
                user.name,
                "schedule-created",
                f"{project.name}/{environment}",
                {"name": name, "kind": kind, "cron": cron},
            )

    def jobs(self, limit: int = 50) -> list[JobView]:
        """The project's latest jobs, newest first (any member may read them)."""
        self._require_reader()
        return job_store.listing(self.store, self.design.project.name, limit=limit)

    def job(self, job_id: int) -> JobView:
        """One of the project's jobs; not found when it belongs to another project."""
        self._require_reader()
        found = job_store.get(self.store, job_id)
        if found is None or found.project != self.design.project.name:
            raise NotFoundError(f"there is no job {job_id} in {self.design.project.name}", hint="List the jobs.")
        return found

    def job_events(self, job_id: int) -> list[tuple[Any, str, str]]:
        """A job's progress and log lines, oldest first."""
        self.job(job_id)
        return job_store.events(self.store, job_id)

    def _require_reader(self) -> None:
        """Refuse unless the acting user holds a role on the project (checked once per service object: a page
        reads several things as the same person within one request)."""
        if getattr(self, "_reader_checked", False):
            return
        with self.store.session() as session:
            project = self.register(session)
            user = session.scalars(select(User).where(User.name == self.actor)).first()
            held = self.roles_of(session, project, user) if user is not None else set()
        if not held:
            raise RoleError(f"{self.actor} has no role on {self.design.project.name}", hint="An admin adds members.")
        self._reader_checked = True
