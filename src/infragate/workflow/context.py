"""What every handler is given besides its command: who is asking (``Caller``) and what it works with
(``UnitOfWork``: the store, the settings, the projects' designs, and the ports a front end plugs in — how
long work is shown, where queued jobs go, how people are told).

The front ends build these once per request or command; the handlers never look further (no environment
variables, no global store).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Protocol

from infragate.errors import NotFoundError
from infragate.workflow.scope import Scope

if TYPE_CHECKING:
    from infragate.aws import AwsConnection
    from infragate.design import Design
    from infragate.inventory import Snapshot
    from infragate.inventory.runner import Progress as ReadProgress
    from infragate.model import EnvironmentSettings, Role
    from infragate.policy import LocatedFinding
    from infragate.provision.executor import Progress as ChangeProgress
    from infragate.provision.plan import Plan
    from infragate.settings import Settings
    from infragate.store import Store
    from infragate.workflow.locking import LockOut


@dataclass(frozen=True)
class Caller:
    """Who is asking, and how that is known.

    ``via`` is ``session`` or ``token`` on the server (the person is authenticated), ``local`` for the CLI in
    local mode (INFRAGATE_USER taken at its word; empty when it is not set), and ``webhook``, ``scheduler`` or
    ``worker`` for infragate's own parts. ``scope`` is an API token's limits; ``acting_as`` is an admin acting
    for another user in local mode (``--as``).
    """

    name: str
    via: str = "local"
    scope: Scope = field(default_factory=Scope)
    csrf_token: str = ""
    acting_as: str | None = None

    @property
    def authenticated(self) -> bool:
        """True only when the server established who the person is."""
        return self.via in ("session", "token")

    @property
    def actor(self) -> str:
        """The name runs and audit-log entries carry: the person, or ``infragate`` when nobody said."""
        return self.name or "infragate"


class View(Protocol):
    """How a front end shows long work (the CLI draws progress bars, a job writes its log, the API nothing)."""

    def drawing(self) -> AbstractContextManager[object]: ...
    def reading(self, target: str) -> AbstractContextManager[ReadProgress | None]: ...
    def changing(self, count: int) -> AbstractContextManager[ChangeProgress | None]: ...
    def waiting_for_lock(self, held: LockOut) -> None: ...
    def log(self, message: str) -> None: ...
    def confirm_changes(self, plan: Plan, target: str, *, destroy: bool) -> bool: ...
    def should_stop(self) -> bool: ...
    def stress_progress(self, sample: dict[str, float]) -> None: ...


class QuietView:
    """Shows nothing, confirms what it is asked (the caller already decided), never stops early."""

    def drawing(self) -> AbstractContextManager[object]:
        return nullcontext()

    def reading(self, target: str) -> AbstractContextManager[ReadProgress | None]:
        return nullcontext(None)

    def changing(self, count: int) -> AbstractContextManager[ChangeProgress | None]:
        return nullcontext(None)

    def waiting_for_lock(self, held: LockOut) -> None:
        return None

    def log(self, message: str) -> None:
        return None

    def confirm_changes(self, plan: Plan, target: str, *, destroy: bool) -> bool:
        return True

    def should_stop(self) -> bool:
        return False

    def stress_progress(self, sample: dict[str, float]) -> None:
        return None


class JobQueue(Protocol):
    """Where a requested job's id goes for the workers (the jobs package implements it)."""

    def enqueue(self, job_id: int) -> None: ...


class Notifier(Protocol):
    """Tells the people of ``roles`` on a design's project; returns the targets that were told."""

    def __call__(self, design: Design, roles: Sequence[Role], title: str, body: str) -> list[str]: ...


def _nobody(design: Design, roles: Sequence[Role], title: str, body: str) -> list[str]:
    return []


class Designs:
    """The designs handlers work on: a project's registered design file (parsed again when it changes), or
    the one a front end hands over (local mode: the file the command was given, registered on first use)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._given: dict[str, Design] = {}

    def use(self, design: Design) -> None:
        """Work on this design for its project (what local mode does with the file it was given)."""
        self._given[design.project.name] = design

    def given(self, project: str) -> Design | None:
        return self._given.get(project)

    def of(self, project: str) -> Design:
        found = self._given.get(project)
        if found is not None:
            return found
        from infragate.workflow.registration import design_at, registered_design

        path = registered_design(self._store, project)
        if path is None:
            raise NotFoundError(f"there is no project {project}", hint="`infragate project list` lists them.")
        return design_at(str(path))


@dataclass
class UnitOfWork:
    """The store and settings a handler works with, the designs, and the ports its front end plugs in.

    It also remembers, for as long as it lives (one command, one request, one job), each environment's design
    verdicts: one ``infragate run`` judges each design rule once per environment, however many steps ask.
    """

    store: Store
    settings: Settings
    view: View = field(default_factory=QuietView)
    queue: JobQueue | None = None
    notifier: Notifier = _nobody
    on_embedded_start: Callable[[], None] | None = None  # the CLI shows "starting embedded AWS…"
    aws: Callable[[EnvironmentSettings], AwsConnection] | None = None  # the AWS of an environment (default: its own)
    designs: Designs = field(init=False)
    # what was read of each environment's AWS, until this unit of work changes it (a verify's read serves
    # the audit after it)
    live: dict[tuple[str, str], Snapshot] = field(default_factory=dict, init=False)
    _verdicts: dict[tuple[str, str, date], list[LocatedFinding]] = field(default_factory=dict, init=False)
    _changed: dict[tuple[str, str], None] = field(default_factory=dict, init=False)
    _depth: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.designs = Designs(self.store)

    def fresh(self) -> UnitOfWork:
        """Another unit of work on the same store, settings and ports (a server's next request)."""
        return UnitOfWork(self.store, self.settings, queue=self.queue, notifier=self.notifier, aws=self.aws)

    def design_findings(self, design: Design, environment: str, today: date | None = None) -> list[LocatedFinding]:
        """The design's findings for one environment (every design rule and policy pack), judged once."""
        from infragate.policy import check_design

        day = today or date.today()
        key = (design.digest, environment, day)
        if key not in self._verdicts:
            self._verdicts[key] = check_design(design, environment=environment, today=day)
        return self._verdicts[key]

    # -- what changed: the bus refreshes each changed environment's stage once, after the outermost command --
    def evidence_changed(self, project: str, environment: str) -> None:
        self._changed[(project, environment)] = None

    def take_changes(self) -> list[tuple[str, str]]:
        changed, self._changed = list(self._changed), {}
        return changed

    @contextmanager
    def nested(self) -> Iterator[bool]:
        """Yields True for the outermost command (which settles what the inner ones changed)."""
        self._depth += 1
        try:
            yield self._depth == 1
        finally:
            self._depth -= 1


def open_unit_of_work(
    settings: Settings | None = None,
    *,
    view: View | None = None,
    queue: JobQueue | None = None,
    notifier: Notifier = _nobody,
    on_embedded_start: Callable[[], None] | None = None,
) -> UnitOfWork:
    """A unit of work on the store the settings name (the environment's settings by default)."""
    from infragate.settings import load_settings
    from infragate.store import open_store

    chosen = settings or load_settings()
    return UnitOfWork(
        open_store(chosen),
        chosen,
        view=view or QuietView(),
        queue=queue,
        notifier=notifier,
        on_embedded_start=on_embedded_start,
    )
