"""``infragate lock status|release``: who holds which environment's lock, and breaking a stuck one."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from infragate.cli import identity
from infragate.cli.client import for_design
from infragate.cli.console import err, out

app = typer.Typer(
    help="Environment locks: one writer (apply, destroy, run) per environment at a time.", no_args_is_help=True
)


@app.command("status")
def status(design_file: Path | None = identity.DESIGN) -> None:
    """Show the project's held locks: holder, purpose, host and process, since when, and whether it is stale
    (its process is gone, or it stopped renewing its heartbeat).

    Example:

      infragate lock status -d examples/webshop/infragate.yaml
    """
    from infragate.workflow.locking import ListLocks

    client, chosen = for_design(design_file)
    held = list(client.execute(ListLocks(project=chosen.project)))
    if not held:
        out.print(f"no environment of {chosen.project} is locked")
        return
    table = Table(title=f"Locks of {chosen.project}", expand=False)
    for column in ("Environment", "Holder", "Purpose", "Host", "Pid", "Since (UTC)", "State"):
        table.add_column(column, overflow="fold")
    for lock in held:
        state = Text("stale: may be taken over", style="yellow") if lock.stale else Text("held", style="green")
        since = f"{lock.acquired_at:%Y-%m-%d %H:%M:%S}"
        table.add_row(lock.environment, Text(lock.holder), lock.purpose, lock.host, str(lock.pid), since, state)
    out.print(table)


@app.command("release")
def release(
    env: str = typer.Option(..., "--env", "-e", help="The environment whose lock to break."),
    design_file: Path | None = identity.DESIGN,
    acting_as: str | None = identity.AS,
) -> None:
    """Break an environment's lock: allowed to its holder and to admins (INFRAGATE_USER says who you are),
    and audit-logged. A run the holder had started is marked interrupted.

    A lock whose process died is taken over by the next writer anyway; release is for a holder that is
    stuck, or running on a machine that is gone.

    Example:

      INFRAGATE_USER=lena.lead@example.com infragate lock release --env staging
    """
    from infragate.workflow.locking import ReleaseLock

    client, chosen = for_design(design_file, acting_as=acting_as)
    released = client.execute(ReleaseLock(project=chosen.project, environment=env))
    out.print(f"released the lock of {released.project}/{released.environment}", markup=False)
    err.print(f"it was held by {released.describe()}", markup=False)
