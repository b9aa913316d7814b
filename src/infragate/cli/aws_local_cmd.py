"""``infragate aws-local …``: the embedded AWS emulator daemon."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from infragate.cli.console import err, out
from infragate.cli.exit_codes import ExitCode
from infragate.settings import load_settings

if TYPE_CHECKING:
    from infragate.aws import EmbeddedAws

app = typer.Typer(
    help="Embedded AWS: a local AWS emulator (moto server) on 127.0.0.1 for environments with `aws: embedded`.",
    no_args_is_help=True,
)


def _embedded() -> EmbeddedAws:
    from infragate.aws import EmbeddedAws  # the aws package loads boto3: only when this command runs

    return EmbeddedAws(load_settings().home)


@app.command("status")
def status() -> None:
    """Say whether embedded AWS is running, and where. Exits 1 when it is not running.

    Example:

      infragate aws-local status
    """
    current = _embedded().status()
    if current.running:
        out.print(f"embedded AWS is running at {current.endpoint} (pid {current.pid})")
        return
    out.print("embedded AWS is not running; `infragate aws-local start` starts it (commands also start it on demand)")
    raise typer.Exit(ExitCode.FINDINGS)


@app.command("start")
def start() -> None:
    """Start embedded AWS in the background, or reuse the one already running.

    Example:

      infragate aws-local start
    """
    embedded = _embedded()
    with err.status("starting embedded AWS (moto server)…"):
        endpoint = embedded.ensure()
    out.print(f"embedded AWS is running at {endpoint}; state in {embedded.state_file}")


@app.command("stop")
def stop() -> None:
    """Stop embedded AWS. Everything in it is lost.

    Example:

      infragate aws-local stop
    """
    was_running = _embedded().stop()
    out.print("embedded AWS stopped" if was_running else "embedded AWS was not running")


@app.command("reset")
def reset() -> None:
    """Empty the embedded AWS account (delete every resource) without stopping it.

    Example:

      infragate aws-local reset
    """
    _embedded().reset()
    out.print("embedded AWS account reset: it is empty now")
