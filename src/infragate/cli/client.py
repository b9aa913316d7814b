"""The one client every CLI command uses: a command in, its typed result out, whether the CLI works on the
local store (``LocalClient``: the handlers in this process) or is logged in to a server (``HttpClient``: the
API, decoded into the same result types). Errors keep their meaning and exit code in both modes.

Who the command names: a design file (loaded here, its digest sent with decisions) or a registered project
(``--project NAME``); see ``Target``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from pydantic import BaseModel

from infragate.cli import identity
from infragate.cli.console import err
from infragate.cli.remote import logged_in
from infragate.design import Design, load_design
from infragate.errors import UsageError
from infragate.workflow.messages import Command, Page

if TYPE_CHECKING:
    from infragate.cli.progress import ChangeProgress, CollectorProgress
    from infragate.provision.plan import Plan
    from infragate.workflow.context import UnitOfWork
    from infragate.workflow.locking import LockOut

R = TypeVar("R", bound=BaseModel)
T = TypeVar("T")


class Client(Protocol):
    """Runs use-cases for the CLI."""

    where: str  # "" in local mode; in team mode, which server answers as whom

    def execute(self, command: Command[R]) -> R: ...


@dataclass(frozen=True)
class Target:
    """The project a command names: its name, and its design when the command was given a file (or found
    infragate.yaml), whose digest decisions carry."""

    project: str
    design: Design | None

    @property
    def digest(self) -> str | None:
        return self.design.digest if self.design is not None else None

    def loaded(self) -> Design:
        if self.design is None:
            raise UsageError(
                f"this needs the design file of {self.project}, not only its name",
                hint="Give the design: -d path/to/infragate.yaml",
            )
        return self.design


def target(design_file: Path | None) -> Target:
    """The project ``-d/--project`` names: a design file is loaded (a decision names its digest); a registered
    project's name is just that (the store, or the server, knows its design)."""
    named = design_file is not None and not (
        design_file.is_file() or design_file.suffix in (".yaml", ".yml") or len(design_file.parts) > 1
    )
    if named:
        return Target(str(design_file), None)
    design = load_design(identity.resolve_design(design_file))
    return Target(design.project.name, design)


class LocalClient:
    """The handlers, in this process, on the local store, as INFRAGATE_USER (not authenticated: local mode)."""

    where = ""

    def __init__(self, uow: UnitOfWork, user: str, acting_as: str | None = None) -> None:
        from infragate.workflow.context import Caller

        self.uow = uow
        self.caller = Caller(user, via="local", acting_as=acting_as)

    def execute(self, command: Command[R]) -> R:
        from infragate.workflow.bus import handle

        return handle(command, self.caller, self.uow)


def open_client(
    design: Design | None = None,
    *,
    acting_as: str | None = None,
    view: TerminalView | None = None,
    stack: ExitStack | None = None,
) -> Client:
    """The client for this command: the server the CLI is logged in to, else the local store (working on
    ``design`` when it was given). ``view`` shows long work; ``stack`` holds what the command's lifetime holds
    (the "starting embedded AWS" spinner)."""
    server = logged_in()
    if server is not None:
        if acting_as is not None:
            raise UsageError(
                "--as is for local mode: a server acts only as the person it authenticated",
                hint="Sign in as that person (`infragate login`), or have them act.",
            )
        from infragate.cli.http_client import HttpClient

        return HttpClient(server)
    from infragate.workflow.context import open_unit_of_work

    chosen = view or TerminalView()
    starting: Callable[[], None] | None = None
    if stack is not None:
        held = stack

        def starting() -> None:
            held.enter_context(err.status("starting embedded AWS (moto server)…"))

    from infragate.jobs.queue import LazyQueue

    uow = open_unit_of_work(view=chosen, on_embedded_start=starting)
    uow.queue = LazyQueue(uow.settings)
    if design is not None:
        uow.designs.use(design)
    return LocalClient(uow, os.environ.get("INFRAGATE_USER", "").strip(), acting_as)


def every(client: Client, command: Command[Page[T]], limit: int = 200) -> list[T]:
    """Every item of a paged list, page after page."""
    items: list[T] = []
    while True:
        page = client.execute(command.model_copy(update={"offset": len(items), "limit": limit}))
        items += page.items
        if not page.items or len(items) >= page.total:
            return items


def note(client: Client) -> None:
    """Say which server answered (team mode)."""
    if client.where:
        err.print(client.where, style="dim", markup=False)


class TerminalView:
    """Rich progress for long work on a terminal (plain lines in CI logs); asks before changing AWS unless
    ``assume_yes``."""

    def __init__(self, *, assume_yes: bool = False, reading_label: str = "Reading") -> None:
        self.assume_yes, self.reading_label = assume_yes, reading_label
        self.show_plan: Callable[[Plan, bool], None] | None = None  # the command's own table of changes

    def drawing(self) -> AbstractContextManager[object]:
        return err.status("drawing diagrams with Graphviz…")

    @contextmanager
    def reading(self, target: str) -> Iterator[CollectorProgress]:
        from rich.markup import escape

        from infragate.cli.progress import CollectorProgress

        err.print(f"{self.reading_label} [bold]{escape(target)}[/bold]")
        with CollectorProgress(err) as progress:
            yield progress

    def changing(self, count: int) -> AbstractContextManager[ChangeProgress]:
        from infragate.cli.progress import ChangeProgress

        return ChangeProgress(err, count)

    def waiting_for_lock(self, held: LockOut) -> None:
        err.print(
            f"waiting for the lock of {held.project}/{held.environment}, held by {held.describe()}…", markup=False
        )

    def log(self, message: str) -> None:
        err.print(message, markup=False)

    def confirm_changes(self, plan: Plan, target: str, *, destroy: bool) -> bool:
        import sys

        import typer

        if self.show_plan is not None:
            self.show_plan(plan, destroy)
        verb = "Delete" if destroy else "Apply"
        noun = "resource(s)" if destroy else "change(s)"
        question = f"{verb} {len(plan.pending)} {noun} {'from' if destroy else 'to'} {target}?"
        if self.assume_yes:
            return True
        if not sys.stdin.isatty():
            raise UsageError(f"{question} needs confirmation", hint="Run it in a terminal, or pass --yes.")
        return bool(typer.confirm(question, default=False))

    def should_stop(self) -> bool:
        return False

    def stress_progress(self, sample: dict[str, float]) -> None:
        return None


def for_design(
    design_file: Path | None,
    *,
    acting_as: str | None = None,
    view: TerminalView | None = None,
    stack: ExitStack | None = None,
) -> tuple[Client, Target]:
    """The client and the project for a command that names a design (``-d FILE`` or ``--project NAME``)."""
    chosen = target(design_file)
    return open_client(chosen.design, acting_as=acting_as, view=view, stack=stack), chosen
