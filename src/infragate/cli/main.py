"""The ``infragate`` command: sub-command wiring and the one place where errors become exit codes."""

from __future__ import annotations

import os
import sys

import typer
from rich.markup import escape

from infragate import __version__
from infragate.cli.commands import LazyGroup
from infragate.cli.console import err
from infragate.cli.exit_codes import ExitCode, exit_code_for
from infragate.errors import InfragateError

# Commands are listed in cli/commands.py and loaded when used, so `infragate --help` stays fast.
app = typer.Typer(
    name="infragate",
    cls=LazyGroup,
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
        try:
            app()
        except Exception as raised:
            raise _as_usage(raised) from None
    except InfragateError as problem:
        from infragate.cli import render  # loads the policy models: only when there is an error to show

        render.error(problem)
        sys.exit(exit_code_for(problem))
    except Exception as bug:  # never a bare traceback for users; INFRAGATE_DEBUG=1 shows it
        if os.environ.get("INFRAGATE_DEBUG"):
            raise
        err.print(f"[bold red]internal error:[/bold red] {escape(f'{type(bug).__name__}: {bug}')}")
        err.print("This is a bug in infragate. Re-run with INFRAGATE_DEBUG=1 for the traceback and report it.")
        sys.exit(ExitCode.INTERNAL)


def _as_usage(raised: Exception) -> Exception:
    """A command built from bad values is the user's error, said field by field (exit 2), not a bug; so is a
    part of infragate that is not installed (its extra is named)."""
    if isinstance(raised, ModuleNotFoundError) and raised.name:
        from infragate.extras import missing

        return missing(raised.name) or raised
    from pydantic import ValidationError

    if not isinstance(raised, ValidationError):
        return raised
    from infragate.errors import UsageError

    said = "; ".join(
        f"{'.'.join(str(part) for part in item.get('loc', ())) or 'value'}: {item.get('msg', '')}"
        for item in raised.errors()[:5]
    )
    return UsageError(said or str(raised), hint="Check the values given to the command (--help shows them).")
