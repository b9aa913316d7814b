"""``infragate db …`` and ``infragate audit-log …``: the store's schema and the integrity of its audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from infragate.cli.console import err, out
from infragate.cli.exit_codes import ExitCode
from infragate.settings import load_settings

if TYPE_CHECKING:
    from infragate.store import Store

db_app = typer.Typer(help="The store (SQLite by default, PostgreSQL via INFRAGATE_DATABASE_URL).", no_args_is_help=True)
log_app = typer.Typer(help="The append-only, hash-chained audit log.", no_args_is_help=True)


def _store() -> Store:
    from infragate.store import Store, database_url  # SQLAlchemy: only for the commands that use the store

    return Store(database_url(load_settings()))


@db_app.command("upgrade")
def upgrade() -> None:
    """Create or migrate the schema to the newest version (commands also do this on first use).

    Example:

      infragate db upgrade
    """
    store = _store()
    before = store.revision()
    store.upgrade()
    after = store.revision()
    out.print(f"store {store.engine.url.render_as_string(hide_password=True)}: schema {before or 'empty'} -> {after}")


@db_app.command("status")
def status() -> None:
    """Show which database is used and whether its schema is current. Exits 1 when it is behind.

    Example:

      infragate db status
    """
    store = _store()
    current, head = store.revision(), store.head()
    out.print(
        f"store {store.engine.url.render_as_string(hide_password=True)}: schema {current or 'empty'} (newest {head})"
    )
    if current != head:
        err.print("run `infragate db upgrade` (or any command that uses the store) to migrate it")
        raise typer.Exit(ExitCode.FINDINGS)


@log_app.command("verify")
def verify() -> None:
    """Walk the audit log's hash chain; exit 1 and name the entries where it breaks (edited or deleted).

    Example:

      infragate audit-log verify
    """
    from infragate.store import audit_log

    store = _store()
    store.ensure_current()
    with store.session() as session:
        checked, breaks = audit_log.verify(session)
    for found in breaks:
        err.print(f"[bold red]entry {found.entry_id}[/bold red]: {found.reason}")
    if breaks:
        err.print(f"audit log: {checked} entries checked, [bold red]{len(breaks)} break(s)[/bold red]")
        raise typer.Exit(ExitCode.FINDINGS)
    out.print(f"audit log intact: {checked} entries, every hash and link checks out")
