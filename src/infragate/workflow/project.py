"""One project as one caller works on it — what every project use-case shares.

``open_project`` gives the project's design (the registered file, or the one local mode was given), checks
that an authenticated caller may read it at all, and offers: a transaction in which the caller is a known
user (``as_caller``), their roles within their token's scope, refusals kept in the audit log, and the one
place where runs are recorded as evidence (``record``, ``begin_run``/``end_run``), each with the design digest
it was made from.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from infragate.design import Design
from infragate.errors import RefusedError, UsageError
from infragate.model import Role
from infragate.store import Store, audit_log
from infragate.store.engagements import window_open
from infragate.store.evidence import approvals
from infragate.store.findings import Observed, ingest
from infragate.store.memberships import holders, roles_on
from infragate.store.projects import finish_run, start_run
from infragate.store.schema import Project, Run, User
from infragate.store.timestamps import as_utc
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.records import ChangesSummary, RunSummary
from infragate.workflow.registration import register
from infragate.workflow.roles import Action, RoleError, require

PROJECT_ROLES = (Role.LEAD, Role.INFRA, Role.DEVELOPER, Role.SECURITY)
S = TypeVar("S", bound=RunSummary)


def open_project(uow: UnitOfWork, project: str, caller: Caller) -> ProjectWork:
    """The project named ``project`` as ``caller`` works on it. On the server, a person with no role on it is
    refused here, before anything is read (and a project that does not exist is not found)."""
    work = ProjectWork(uow, uow.designs.of(project), caller)
    if caller.authenticated:
        work.require_reader()
    return work


class ProjectWork:
    def __init__(self, uow: UnitOfWork, design: Design, caller: Caller) -> None:
        self.uow, self.design, self.caller = uow, design, caller
        self._project_id: int | None = None
        self._reader_checked = False

    @property
    def store(self) -> Store:
        return self.uow.store

    @property
    def name(self) -> str:
        return self.design.project.name

    @property
    def actor(self) -> str:
        return self.caller.actor

    # -- the store ---------------------------------------------------------------------------------------
    @contextmanager
    def session(self) -> Iterator[tuple[Session, Project]]:
        """A transaction on the project (registered on first use)."""
        with self.store.session() as session:
            yield session, self.register(session)

    def register(self, session: Session) -> Project:
        if self._project_id is not None:
            known = session.get(Project, self._project_id)
            if known is not None:
                return known
        project = register(session, self.store, self.design)
        self._project_id = project.id
        return project

    # -- identity ---------------------------------------------------------------------------------------
    @contextmanager
    def as_caller(self) -> Iterator[tuple[Session, Project, User]]:
        """A transaction as the calling user. A refusal (a role the user lacks, a gate that does not hold) is
        written to the audit log in a transaction of its own: refused attempts are security events."""
        if not self.caller.name:
            raise UsageError(
                "infragate does not know who you are",
                hint="Set INFRAGATE_USER to your user name (e.g. export INFRAGATE_USER=lena.lead@example.com); "
                "in local mode it is not checked, so this is for trying infragate and solo work.",
            )
        try:
            with self.store.session() as session:
                project = self.register(session)
                user = session.scalars(select(User).where(User.name == self.caller.name)).first()
                if user is None:
                    raise UsageError(
                        f"{self.caller.name} is not a user of infragate",
                        hint="An admin or the project's lead adds members (`infragate project members apply` for "
                        "the design's owners). Set INFRAGATE_USER to your user name.",
                    )
                if self.caller.acting_as is not None:
                    require(user.name, user.roles, Action.ACT_AS)
                    impersonated = session.scalars(select(User).where(User.name == self.caller.acting_as)).first()
                    if impersonated is None:
                        raise UsageError(
                            f"--as {self.caller.acting_as}: no such user", hint="`infragate user list` shows them."
                        )
                    session.info[audit_log.ACTING_ADMIN] = user.name  # every entry names the admin too
                    user = impersonated
                yield session, project, user
        except (RoleError, RefusedError) as refused:  # the decision rolled back; the refusal is evidence
            self.log_refusal(type(refused).__name__, self.name, refused.message)
            raise

    def roles_of(self, session: Session, project: Project, user: User) -> set[str]:
        """The roles ``user`` holds on ``project`` (memberships), plus ``admin`` if they are an admin, within the
        scope of the token they came with."""
        return self.caller.scope.limit(project.name, roles_on(session, user, project.id))

    def require(self, action: Action) -> Role:
        """Refuse (audit-logged) unless the caller holds, on this project, a role that may do ``action``."""
        with self.as_caller() as (session, project, user):
            return require(user.name, self.roles_of(session, project, user), action)

    def require_reader(self) -> None:
        """Refuse unless the caller holds a role on the project (checked once: a page reads several things as
        the same person within one request)."""
        if self._reader_checked:
            return
        with self.session() as (session, project):
            user = session.scalars(select(User).where(User.name == self.caller.name)).first()
            held = self.roles_of(session, project, user) if user is not None else set()
        if not held:
            raise RoleError(f"{self.caller.actor} has no role on {self.name}", hint="An admin adds members.")
        self._reader_checked = True

    def log_refusal(self, kind: str, subject: str, reason: str) -> None:
        with self.store.session() as session:
            detail = {"kind": kind, "reason": reason}
            if self.caller.acting_as is not None:
                detail["acting_for"] = self.caller.acting_as
            audit_log.append(session, self.actor, "refused", subject, detail)

    def refuse_in_pentest_window(self, environment: str, what: str) -> None:
        """Refuse ``what`` (a scan, a stress test) while a pentest vendor may be testing the environment: the
        two would collide, and the vendor's traffic must stay tell-apart from ours."""
        with self.session() as (session, project):
            found = window_open(session, project.id, environment, datetime.now(UTC))
            until = found.window_end if found is not None else None
        if until is not None:
            raise RefusedError(
                f"a pentest window is open on {environment} until {as_utc(until):%Y-%m-%d %H:%M} UTC: no {what} now",
                hint="Scheduled and manual scans and stress tests wait for the window to close "
                f"(`infragate pentest status --env {environment}`).",
            )

    def plan_approver(self, digest: str, subject: str = "plan") -> str | None:
        """A current lead of the project who approved exactly this plan (a revoked lead no longer counts)."""
        with self.session() as (session, project):
            return current_plan_approver(session, project.id, digest, subject)

    # -- evidence: the one place runs are recorded ----------------------------------------------------------
    def record(
        self,
        environment: str,
        summary: S,
        *,
        succeeded: bool,
        findings: list[Observed] | None = None,
        source: str | None = None,
        artifact_path: str | None = None,
        complete: bool = True,
    ) -> tuple[int, S]:
        """Keep a finished run as evidence, stamped with the design digest it was made from (and the report
        or document it produced); with findings, update the findings of that source (de-duplicated). Returns
        the run's id and the summary as recorded (with what its findings did to the store)."""
        with self.session() as (session, project):
            return self.record_in(
                session,
                project,
                environment,
                summary,
                succeeded=succeeded,
                findings=findings,
                source=source,
                artifact_path=artifact_path,
                complete=complete,
            )

    def record_in(
        self,
        session: Session,
        project: Project,
        environment: str,
        summary: S,
        *,
        succeeded: bool,
        findings: list[Observed] | None = None,
        source: str | None = None,
        artifact_path: str | None = None,
        complete: bool = True,
        finding_actor: str = "infragate",
        detail: dict[str, str | int | bool] | None = None,
    ) -> tuple[int, S]:
        """``record``, within a transaction the caller holds (a run that must commit with other changes).
        ``finding_actor`` is who the findings' history says found them (a person, for a vendor's import)."""
        kind = summary.kind
        run = start_run(session, project, environment, kind)
        stamped = self._stamped(summary)
        if findings is not None:
            result = ingest(
                session,
                project_id=project.id,
                environment=environment,
                source=source or kind,
                run_id=run.id,
                observed=findings,
                actor=finding_actor,
                complete=complete,
            )
            stamped = stamped.model_copy(update={"findings": result.__dict__})
        finish_run(run, succeeded=succeeded, summary=stamped.model_dump(mode="json"), artifact_path=artifact_path)
        entry: dict[str, str | int | bool] = {"run": run.id, "succeeded": succeeded}
        entry |= detail or {}
        audit_log.append(session, self.actor, f"{kind}-recorded", f"{project.name}/{environment}", entry)
        self.uow.evidence_changed(self.name, environment)
        return run.id, stamped

    def begin_run(self, environment: str, summary: RunSummary) -> int:
        """A run that has started: "running" until ``end_run``. If its process dies, whoever takes the
        environment's lock over marks it "interrupted" (see store.locks)."""
        kind = summary.kind
        with self.session() as (session, project):
            run = start_run(session, project, environment, kind)
            run.summary = self._stamped(summary).model_dump(mode="json")
            audit_log.append(session, self.actor, f"{kind}-started", f"{project.name}/{environment}", {"run": run.id})
            return run.id

    def end_run(self, run_id: int, summary: RunSummary, *, succeeded: bool) -> None:
        interrupted = isinstance(summary, ChangesSummary) and summary.interrupted
        with self.session() as (session, project):
            run = session.get(Run, run_id)
            if run is None:
                return
            finish_run(run, succeeded=succeeded, summary=self._stamped(summary).model_dump(mode="json"))
            if interrupted:
                run.status = "interrupted"
            audit_log.append(
                session,
                self.actor,
                f"{run.kind}-recorded",
                f"{project.name}/{run.environment}",
                {"run": run.id, "succeeded": succeeded, "status": run.status},
            )
            environment = run.environment
        self.uow.evidence_changed(self.name, environment)

    def _stamped(self, summary: S) -> S:
        """The summary with the design digest the run worked from."""
        return summary.model_copy(update={"design_digest": self.design.digest})


def current_plan_approver(session: Session, project_id: int, digest: str, subject: str = "plan") -> str | None:
    """A current lead of the project who approved exactly this plan (a revoked lead no longer counts)."""
    leads = holders(session, project_id, Role.LEAD.value)
    found = [user.name for _approval, user in approvals(session, project_id, subject, digest)]
    return next((name for name in found if name in leads), None)
