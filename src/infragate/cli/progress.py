"""Progress displays for long work: a live Rich view on terminals, plain lines in CI logs."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Self

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from infragate.provision.executor import Outcome
from infragate.provision.plan import Change


class _Display:
    """A Rich progress display that is live on a terminal and silent elsewhere (CI logs get plain lines)."""

    def __init__(self, console: Console, progress: Progress) -> None:
        self._console = console
        self._live = console.is_terminal
        self._progress = progress

    def __enter__(self) -> Self:
        if self._live:
            self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._live:
            self._progress.stop()


class CollectorProgress(_Display):
    """One row per collector: a spinner while it reads, then ✓ or ✗ (inventory ``Progress`` protocol)."""

    def __init__(self, console: Console) -> None:
        super().__init__(
            console,
            Progress(
                SpinnerColumn(finished_text=""), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
            ),
        )
        self._tasks: dict[str, TaskID] = {}

    def started(self, labels: Sequence[str]) -> None:
        if self._live:
            self._tasks = {label: self._progress.add_task(f"reading {label}", total=1) for label in labels}

    def finished(self, label: str, succeeded: bool) -> None:
        mark = "[green]✓[/green]" if succeeded else "[bold red]✗[/bold red]"
        text = f"{mark} {label}" + ("" if succeeded else " [red](could not be read, see INV-001)[/red]")
        if self._live:
            self._progress.update(self._tasks[label], description=text, completed=1)
        else:
            self._console.print(f"  {text}")


class ChangeProgress(_Display):
    """Apply's display: one bar for the whole plan plus a line per finished change (``Progress`` protocol)."""

    def __init__(self, console: Console, total: int) -> None:
        columns = (
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        super().__init__(console, Progress(*columns, console=console))
        self._task = self._progress.add_task("applying", total=total)
        self._running: set[str] = set()

    def started(self, change: Change) -> None:
        self._running.add(change.key)
        self._progress.update(self._task, description=f"applying {', '.join(sorted(self._running))}")

    def finished(self, outcome: Outcome) -> None:
        self._running.discard(outcome.change.key)
        self._progress.update(self._task, advance=1, description=f"applying {', '.join(sorted(self._running))}")
        ok = outcome.status.ok
        mark = "[green]✓[/green]" if ok else "[bold red]✗[/bold red]"
        line = f"  {mark} {outcome.change.action.value} {outcome.change.key}: {outcome.status.value}"
        self._console.print(line + (f" ({outcome.message})" if outcome.message else ""), markup=True)
