"""``infragate admin create``: the only way to make the first admin, on the host that holds the store."""

from __future__ import annotations

import typer

from infragate.cli.console import out
from infragate.settings import load_settings

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
    from infragate.store import open_store
    from infragate.workflow.users import create_admin

    store = open_store(load_settings())
    user, created = create_admin(store, name, email)
    out.print(f"{user.name} is {'now' if created else 'already'} an admin", markup=False)
    if password:
        from infragate.cli.workflow_cmd import read_password
        from infragate.workflow.accounts import set_password

        set_password(store, None, name, read_password())  # None: the host itself, as for the admin
        out.print(f"password set for {name}", markup=False)
