"""``infragate drill restore``: ICP-5.2's restore drill of an environment's databases and buckets."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from infragate.cli import identity
from infragate.cli.client import TerminalView, for_design
from infragate.cli.console import emit, err, out
from infragate.cli.exit_codes import ExitCode
from infragate.errors import UsageError

if TYPE_CHECKING:
    from rich.status import Status

app = typer.Typer(help="Restore drills (ICP-5.2): prove a backup restores, and how fast.", no_args_is_help=True)


class _DrillView(TerminalView):
    """The drill's progress lines, on the spinner's line."""

    status: Status | None = None

    def log(self, message: str) -> None:
        if self.status is not None:
            self.status.update(escape(message))


def _minutes(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, float) else "—"


@app.command("restore")
def restore(
    env: str = typer.Option(..., "--env", "-e", help="The environment."),
    component: str | None = typer.Option(None, "--component", help="One database or versioned bucket only."),
    design_file: Path | None = identity.DESIGN,
    output_format: str = typer.Option("table", "--format", "-f", help="table or json"),
) -> None:
    """Restore each database's latest snapshot to a temporary instance, and a sample of each versioned
    bucket's object versions to a temporary bucket; check the copies; measure RTO and RPO against the
    design's backup.targets; delete the temporary resources (on failure and Ctrl-C too). Exit 1 unless every
    component restored within its targets.

    On embedded AWS the emulator restores metadata only, and the result says so.

    Examples:

      infragate drill restore --env staging

      infragate drill restore --env production --component orders-db --format json
    """
    from infragate.workflow.drills import Drill

    if output_format not in ("table", "json"):
        raise UsageError(f"--format is '{output_format}'", hint="Use table or json.")
    view = _DrillView()
    client, chosen = for_design(design_file, view=view)
    with err.status(f"restore drill of {chosen.project}/{env}…") as status:
        view.status = status
        summary = client.execute(Drill(project=chosen.project, environment=env, component=component)).summary
    if output_format == "json":
        emit(summary.model_dump_json(indent=2) + "\n", None)
    else:
        targets = (
            f"targets: RTO {summary.rto_target} min, RPO {summary.rpo_target} min"
            if summary.rto_target
            else ("no backup.targets in the design: RTO and RPO are measured, not judged")
        )
        table = Table("component", "restored from", "RTO min", "RPO min", "checks / problems", "verdict",
                      title=f"restore drill {summary.drill} · {env} · {targets}")  # fmt: skip
        for name, line in summary.components.items():
            notes = line.not_applicable or "; ".join(line.problems or line.checks)
            if not line.cleaned_up:
                notes += f"; {line.temporary} NOT deleted"
            table.add_row(
                escape(name),
                escape(line.recovery_point),
                _minutes(line.rto_minutes) + (" ✗" if line.rto_met is False else ""),
                _minutes(line.rpo_minutes) + (" ✗" if line.rpo_met is False else ""),
                escape(notes),
                "not applicable" if line.not_applicable else "passed" if line.passed else "failed",
            )
        out.print(table)
        if summary.embedded:
            from infragate.provision.drill import EMBEDDED_NOTE

            out.print(EMBEDDED_NOTE, markup=False)
        if not summary.components:
            out.print(f"{env} has no database or versioned bucket to restore: nothing was drilled", markup=False)
    if not summary.passed:
        raise typer.Exit(ExitCode.FINDINGS)
