"""``infragate workload …``: the application an embedded environment serves on 127.0.0.1, for tests."""

from __future__ import annotations

from pathlib import Path

import typer

from infragate.cli import identity
from infragate.cli.console import out
from infragate.cli.exit_codes import ExitCode
from infragate.design import load_design
from infragate.settings import load_settings

app = typer.Typer(
    help="Workloads: serve an embedded environment's application on 127.0.0.1 (the design's `workload:`), with "
    "TLS from a local CA only that environment trusts.",
    no_args_is_help=True,
)
ENV = typer.Option(..., "--env", "-e", help="The environment (embedded AWS).")


@app.command("start")
def start(env: str = ENV, design_file: Path | None = identity.DESIGN) -> None:
    """Start the environment's workload (a no-op when it runs): a new local CA and certificate for the
    endpoints' host names, then the design's command, until it serves TLS on the first endpoint's pin.

    Example:

      infragate workload start --env staging -d examples/webshop/infragate.yaml
    """
    from infragate.workload import process

    design = load_design(identity.resolve_design(design_file))
    running = process.start(design, env, load_settings().home)
    out.print(
        f"workload of {design.project.name}/{env} serving on https {running.https}"
        + (f", http {running.http}" if running.http else "")
        + f" (pid {running.pid})",
        markup=False,
    )
    out.print(f"its CA: {running.ca_file} (trusted by {env} only: ca_bundle: workload)", markup=False)


@app.command("stop")
def stop(env: str = ENV, design_file: Path | None = identity.DESIGN) -> None:
    """Stop the environment's workload.

    Example:

      infragate workload stop --env staging
    """
    from infragate.workload import process

    design = load_design(identity.resolve_design(design_file))
    stopped = process.stop(design, env, load_settings().home)
    out.print(f"workload of {design.project.name}/{env} {'stopped' if stopped else 'was not running'}")


@app.command("status")
def status(env: str = ENV, design_file: Path | None = identity.DESIGN) -> None:
    """Say whether the environment's workload runs, and where. Exits 1 when it does not.

    Example:

      infragate workload status --env staging
    """
    from infragate.workload import process

    design = load_design(identity.resolve_design(design_file))
    current = process.status(design, env, load_settings().home)
    if not current.running:
        out.print(
            f"the workload of {design.project.name}/{env} is not running (`infragate workload start --env {env}`)"
        )
        raise typer.Exit(ExitCode.FINDINGS)
    out.print(
        f"workload of {design.project.name}/{env} serving on https {current.https} (pid {current.pid})", markup=False
    )
