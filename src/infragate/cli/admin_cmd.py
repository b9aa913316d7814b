"""``infragate admin create``: the only way to make the first admin, on the host that holds the store."""

from __future__ import annotations

import typer

from infragate.cli.client import open_client
from infragate.cli.console import out

app = typer.Typer(
    help="Bootstrap on the host that holds the store: make the first admin (audit-logged with the host account).",
    no_args_is_help=True,
)


@app.command("create")
def create(
    name: str = typer.Argument(..., help="The admin's user name (what they set INFRAGATE_USER to)."),
    email: str = typer.Option("", "--email"),
    password: bool = typer.Option(
        False, "--password", help="Also set their dashboard password (asked twice, or one line from stdin)."
    ),
) -> None:
    """Make NAME an admin. It needs direct access to the store (this host's SQLite file, or the team database's
    credentials), so it is run by whoever runs infragate's server; the audit log records the host account.
    Admins then add users and memberships.

    Example:

      infragate admin create ada.admin@example.com
    """
    from infragate.workflow.users import CreateAdmin

    secret = None
    if password:
        from infragate.cli.workflow_cmd import read_password

        secret = read_password()  # asked first: nothing is made when the password is refused
    made = open_client().execute(CreateAdmin(name=name, email=email, password=secret))
    out.print(f"{made.name} is {'now' if made.created else 'already'} an admin", markup=False)
    if password:
        out.print(f"password set for {name}", markup=False)
