"""``infragate run``: the main job. The pipeline itself is ``workflow.pipeline``; this renders it."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from infragate.cli import options
from infragate.cli.client import TerminalView, open_client
from infragate.cli.console import err, out
from infragate.cli.exit_codes import ExitCode
from infragate.design import load_design

if TYPE_CHECKING:
    from infragate.workflow.pipeline import PipelineResult

EXIT = {
    "done": ExitCode.OK,
    "waiting": ExitCode.FINDINGS,
    "aws-failed": ExitCode.AWS,
    "interrupted": ExitCode.INTERRUPTED,
}


def run(
    file: Path = typer.Argument(..., help="The design file."),
    env: str = typer.Option(..., "--env", "-e", help="The environment to take through the stages."),
    lock_timeout: str = options.LOCK_TIMEOUT,
) -> None:
    """Run every automated stage of the policy for one environment, in order, and stop at the first gate
    that needs a person, saying who must do what.

    validate -> docs -> plan -> apply -> verify -> audit -> gate status, then the HTML compliance report.
    Everything is recorded in the store. A second run finds nothing to change. It holds the environment's
    lock while it reads and changes AWS.

    Exit 0 when every automated stage ran; 1 when a person must act first; 3 when AWS failed; 6 locked.

    Example:

      infragate run examples/webshop/infragate.yaml --env staging
    """
    from infragate.workflow.pipeline import RunPipeline  # the store and boto3: only when running

    design = load_design(file)
    design.environment(env)
    wait = options.duration(lock_timeout)
    with ExitStack() as stack:
        client = open_client(design, view=TerminalView(assume_yes=True), stack=stack)  # run applies: asked for
        command = RunPipeline(project=design.project.name, environment=env, design_file=str(file), lock_timeout_s=wait)
        result = client.execute(command)
    _show(result)
    if result.outcome.value != "done":
        raise typer.Exit(EXIT[result.outcome.value])


def _show(result: PipelineResult) -> None:
    for action in result.actions:
        err.print(f"the [bold]{action.role}[/bold] role must act: {escape(action.what)}")
        if action.command:
            err.print(f"  {escape(action.command)}")
    report = result.gates
    stage = report.stage if report is not None else "unknown"
    table = Table(title=f"infragate run: stage now {stage}", expand=False)
    for column in ("Step", "Result", "Detail"):
        table.add_column(column, overflow="fold")
    for step in result.steps:
        table.add_row(
            step.name, Text("ok", style="green") if step.ok else Text("stopped", style="bold red"), step.detail
        )
    out.print(table)
    if report is not None:
        err.print(f"next: {report.next_step}", markup=False)
    if result.report_path is not None:
        out.print(f"report: {result.report_path}")
    if result.docs_path is not None:
        out.print(f"docs:   {result.docs_path}")
