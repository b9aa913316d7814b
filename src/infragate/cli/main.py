"""The ``infragate`` command: sub-command wiring and the one place where errors become exit codes."""

from __future__ import annotations

import os
import sys

import typer
from rich.markup import escape

from infragate import __version__
from infragate.cli import (
    audit_cmd,
    aws_local_cmd,
    design_cmd,
    jobs_cmd,
    lock_cmd,
    provision_cmd,
    render,
    rules_cmd,
    run_cmd,
    store_cmd,
    workflow_cmd,
)
from infragate.cli.console import err
from infragate.cli.exit_codes import ExitCode, exit_code_for
from infragate.errors import InfragateError

app = typer.Typer(
    name="infragate",
    help=(
        "infragate carries infrastructure projects through the Infrastructure Creation Policy: "
        "design -> provisioning -> deployment-testing -> security-compliance -> pre-launch -> launched.\n\n"
        "Start with: infragate run examples/webshop/infragate.yaml --env staging (it says who must act next), "
        "or infragate design validate examples/webshop/infragate.yaml"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
MAIN, DESIGN, AWS, PEOPLE, TOOLS = "The main job", "Design", "AWS", "Workflow and people", "Store and tools"
app.command("run", rich_help_panel=MAIN)(run_cmd.run)
app.add_typer(design_cmd.app, name="design", rich_help_panel=DESIGN)
app.add_typer(rules_cmd.app, name="rules", rich_help_panel=DESIGN)
app.command("plan", rich_help_panel=AWS)(provision_cmd.plan)
app.command("apply", rich_help_panel=AWS)(provision_cmd.apply)
app.command("verify", rich_help_panel=AWS)(provision_cmd.verify)
app.command("destroy", rich_help_panel=AWS)(provision_cmd.destroy)
app.command("audit", rich_help_panel=AWS)(audit_cmd.audit)
app.add_typer(aws_local_cmd.app, name="aws-local", rich_help_panel=AWS)
approve_app = typer.Typer(help="Decisions of people (ICP-1.4): approve a design or a plan.", no_args_is_help=True)
approve_app.command("design")(workflow_cmd.approve_design)
approve_app.command("plan")(provision_cmd.approve_plan)
app.add_typer(workflow_cmd.project_app, name="project", rich_help_panel=PEOPLE)
app.add_typer(approve_app, name="approve", rich_help_panel=PEOPLE)
app.add_typer(workflow_cmd.gate_app, name="gate", rich_help_panel=PEOPLE)
app.add_typer(workflow_cmd.checklist_app, name="checklist", rich_help_panel=PEOPLE)
app.add_typer(workflow_cmd.findings_app, name="findings", rich_help_panel=PEOPLE)
app.command("launch", rich_help_panel=PEOPLE)(workflow_cmd.launch)
app.command("report", rich_help_panel=PEOPLE)(workflow_cmd.report)
app.add_typer(workflow_cmd.user_app, name="user", rich_help_panel=PEOPLE)
app.command("whoami", rich_help_panel=PEOPLE)(workflow_cmd.whoami)
app.add_typer(lock_cmd.app, name="lock", rich_help_panel=AWS)
app.add_typer(jobs_cmd.app, name="jobs", rich_help_panel=AWS)
app.command("worker", rich_help_panel=AWS)(jobs_cmd.worker)
app.add_typer(store_cmd.db_app, name="db", rich_help_panel=TOOLS)
app.add_typer(store_cmd.log_app, name="audit-log", rich_help_panel=TOOLS)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"infragate {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """infragate: the Infrastructure Creation Policy, as software."""


def run() -> None:
    """Console-script entry point: run the app and map every outcome to an exit code.

    Typer (standalone mode) handles --help, usage errors (exit 2) and Ctrl-C itself; everything that
    escapes a command is ours to map, here and nowhere else.
    """
    try:
        app()
    except InfragateError as problem:
        render.error(problem)
        sys.exit(exit_code_for(problem))
    except Exception as bug:  # never a bare traceback for users; INFRAGATE_DEBUG=1 shows it
        if os.environ.get("INFRAGATE_DEBUG"):
            raise
        err.print(f"[bold red]internal error:[/bold red] {escape(f'{type(bug).__name__}: {bug}')}")
        err.print("This is a bug in infragate. Re-run with INFRAGATE_DEBUG=1 for the traceback and report it.")
        sys.exit(ExitCode.INTERNAL)
