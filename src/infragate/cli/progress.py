"""Progress displays for long work: a live Rich view on terminals, plain lines in CI logs."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn


class CollectorProgress:
    """One row per collector: a spinner while it reads, then ✓ or ✗ (inventory ``Progress`` protocol)."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._live = console.is_terminal
        self._progress = Progress(
            SpinnerColumn(finished_text=""),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> CollectorProgress:
        if self._live:
            self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._live:
            self._progress.stop()

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
