"""The workflow's shared ground: the store, the design and who is acting; a session in which that person is
known (and, with ``--as``, who acted for whom); and the project registered from its design on first use.

Each responsibility of the workflow lives in a module of its own (approvals, runs, triage, sign-offs,
gatekeeping, locking) as a mixin over this base; ``service.Workflow`` joins them for the front ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from infragate.design import Design
from infragate.errors import RefusedError, UsageError
from infragate.model import Role
from infragate.store import Store, audit_log
from infragate.store.engagements import ensure_requested, latest_engagement, window_open
from infragate.store.evidence import ItemSpec, ensure_items
from infragate.store.jobs import ensure_schedule
from infragate.store.memberships import roles_on
from infragate.store.projects import WaiverSpec, ensure_project, record_design, sync_waivers
from infragate.store.schema import Project, User
from infragate.store.timestamps import as_utc
from infragate.workflow.checklist import ChecklistSpec, checklist_for
from infragate.workflow.roles import Action, RoleError, require
from infragate.workflow.scope import Scope

PROJECT_ROLES = (Role.LEAD, Role.INFRA, Role.DEVELOPER, Role.SECURITY)


class WorkflowBase:
    def __init__(
        self,
        store: Store,
        design: Design,
        actor: str,
        *,
        acting_as: str | None = None,
        scope: Scope | None = None,
        authenticated: bool = False,
    ) -> None:
        self.store, self.design = store, design
        self.actor = actor
        self.acting_as = acting_as
        self.scope = scope or Scope()  # an API token's limits; everything the user holds otherwise
        self.authenticated = authenticated  # True only when the server established who the actor is
        self._project_id: int | None = None  # registered once per service object, not on every call

    # -- identity ---------------------------------------------------------------------------------------
    @contextmanager
    def _session(self) -> Iterator[tuple[Session, Project, User]]:
        """A transaction as the acting user. A refusal (a role the user lacks, a gate that does not hold) is
        written to the audit log in a transaction of its own: refused attempts are security events."""
        try:
            with self.store.session() as session:
                project = self.register(session)
                user = session.scalars(select(User).where(User.name == self.actor)).first()
                if user is None:
                    raise UsageError(
                        f"{self.actor} is not a user of infragate",
                        hint="An admin or the project's lead adds members (`infragate project members apply` for "
                        "the design's owners). Set INFRAGATE_USER to your user name.",
                    )
                if self.acting_as is not None:
                    require(user.name, user.roles, Action.ACT_AS)
                    impersonated = session.scalars(select(User).where(User.name == self.acting_as)).first()
                    if impersonated is None:
                        raise UsageError(
                            f"--as {self.acting_as}: no such user", hint="`infragate user list` shows them."
                        )
                    session.info[audit_log.ACTING_ADMIN] = user.name  # every entry names the admin too
                    user = impersonated
                yield session, project, user
        except (RoleError, RefusedError) as refused:  # the decision rolled back; the refusal is evidence
            self.log_refusal(type(refused).__name__, self.design.project.name, refused.message)
            raise

    def require_action(self, action: Action) -> None:
        """Refuse (audit-logged) unless the acting user holds, on this project, a role that may do ``action``."""
        with self._session() as (session, project, user):
            require(user.name, self.roles_of(session, project, user), action)

    def refuse_in_pentest_window(self, environment: str, what: str) -> None:
        """Refuse ``what`` (a scan, a stress test) while a pentest vendor may be testing the environment: the
        two would collide, and the vendor's traffic must stay tell-apart from ours."""
        with self.store.session() as session:
            project = self.register(session)
            found = window_open(session, project.id, environment, datetime.now(UTC))
            until = found.window_end if found is not None else None
        if until is not None:
            raise RefusedError(
                f"a pentest window is open on {environment} until {as_utc(until):%Y-%m-%d %H:%M} UTC: no {what} now",
                hint="Scheduled and manual scans and stress tests wait for the window to close "
                f"(`infragate pentest status --env {environment}`).",
            )

    def roles_of(self, session: Session, project: Project, user: User) -> set[str]:
        """The roles ``user`` holds on ``project`` (memberships), plus ``admin`` if they are an admin, within the
        scope of the token they came with."""
        return self.scope.limit(project.name, roles_on(session, user, project.id))

    def log_refusal(self, kind: str, subject: str, reason: str) -> None:
        with self.store.session() as session:
            detail = {"kind": kind, "reason": reason}
            if self.acting_as is not None:
                detail["acting_for"] = self.acting_as
            audit_log.append(session, self.actor, "refused", subject, detail)

    def register_project(self) -> None:
        """Register the design's project (owners, checklist, waivers, schedules) now, in a transaction of its own."""
        with self.store.session() as session:
            self.register(session)

    def register(self, session: Session) -> Project:
        """The design's project in the store, registered (environments, checklist, waivers, schedules) on first
        use. Its owners are not made members here: that is a proposal a person applies (``memberships``)."""
        if self._project_id is not None:
            known = session.get(Project, self._project_id)
            if known is not None:
                return known
        design = self.design
        memo = (self.store.url, design.project.name, design.digest, _checklist_stamp(design.path))
        if memo in _REGISTERED:  # this process registered exactly this design already (a server's requests)
            found = session.scalars(select(Project).where(Project.name == design.project.name)).first()
            if found is not None:
                self._project_id = found.id
                return found
        path = Path(design.path)  # kept absolute: commands in other directories find the design by project
        where = str(path.resolve()) if path.is_file() else design.path
        project = ensure_project(session, design.project.name, design.project.client, where, list(design.environments))
        specs = checklist_for(design.path)
        for env in design.environments:
            ensure_items(session, project.id, env, [_item(spec) for spec in specs])
        record_design(session, project, design.digest, _read(design.path))
        for env_name, env_design in design.environments.items():
            for name, spec in env_design.settings.schedules.items():
                ensure_schedule(
                    session, project=project.name, environment=env_name, name=name, kind=spec.kind, cron=spec.cron
                )
        if design.project.pentest_requested:
            for env_name in design.environments:
                if latest_engagement(session, project.id, env_name) is None:
                    ensure_requested(session, project, env_name, "design", "the design has pentest_requested: true")
        sync_waivers(
            session,
            project,
            [
                WaiverSpec(w.rule, w.component, w.reason, w.approver, datetime.combine(w.expires, time(), tzinfo=UTC))
                for w in design.waivers
            ],
        )
        self._project_id = project.id
        _REGISTERED.add(memo)
        return project


# Designs registered by this process: (store, project, digest, checklist stamp). Registration writes; a server
# answering many requests for one design would otherwise rewrite the same rows (and queue on SQLite's lock).
_REGISTERED: set[tuple[str, str, str, tuple[int, int]]] = set()


def _checklist_stamp(design_path: str) -> tuple[int, int]:
    """The checklist.yaml beside the design changes what registration writes: its mtime and size, or zeros."""
    try:
        found = (Path(design_path).parent / "checklist.yaml").stat()
    except OSError:
        return (0, 0)
    return (found.st_mtime_ns, found.st_size)


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""  # a design parsed from text (tests, the API) has no file to keep


def _item(spec: ChecklistSpec) -> ItemSpec:
    return ItemSpec(spec.key, spec.title, spec.clause, spec.role.value, spec.automatic)
