"""``infragate db …`` and ``infragate audit-log …``: the store's schema and the integrity of its audit log."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from infragate.cli.console import err, out
from infragate.cli.exit_codes import ExitCode
from infragate.settings import load_settings

if TYPE_CHECKING:
    from infragate.store import Store

db_app = typer.Typer(help="The store (SQLite by default, PostgreSQL via INFRAGATE_DATABASE_URL).", no_args_is_help=True)
log_app = typer.Typer(
    help="The append-only audit log: hash-chained, and its head signed with a key kept outside the database.",
    no_args_is_help=True,
)


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
def verify(
    export_dir: Path | None = typer.Option(
        None, "--export", help="Verify an export (a directory made by `audit-log export`) instead of the store."
    ),
    public_key: Path | None = typer.Option(
        None, "--public-key", help="With --export: the public key you trust (default: the export's public.pem)."
    ),
) -> None:
    """Check that the audit log is whole: every entry's hash and link, every signed checkpoint, and that the log
    still holds the head recorded outside the database. Exits 1 and names every entry where it breaks
    (edited, deleted, truncated, emptied, forged or re-hashed).

    Example:

      infragate audit-log verify

      infragate audit-log verify --export ./audit-2026-11 --public-key ./infragate-audit.pem
    """
    from infragate.workflow import audit_trail

    if export_dir is not None:
        result = audit_trail.verify_export(export_dir, public_key)
        what = f"export {export_dir}"
    else:
        if public_key is not None:
            err.print("--public-key needs --export; the store is checked with its own signing key")
            raise typer.Exit(ExitCode.USAGE)
        from infragate.store import open_store

        result = audit_trail.verify(open_store(load_settings()))
        what = "audit log"
    for found in result.breaks:
        where = f"entry {found.entry_id}" if found.entry_id else "the log"
        err.print(f"[bold red]{where}[/bold red]: {escape(found.reason)}")
    if result.breaks:
        err.print(f"{what}: {result.checked} entries checked, [bold red]{len(result.breaks)} break(s)[/bold red]")
        raise typer.Exit(ExitCode.FINDINGS)
    if not result.anchored:
        out.print(
            f"{what}: {result.checked} entries, every hash and link checks out; [yellow]not anchored[/yellow]: "
            "there is no signing key, so truncation and re-hashing cannot be ruled out"
        )
        return
    latest = result.latest
    signed = (
        f"; last signed checkpoint: entry {latest.head.head_id} at {latest.head.at:%Y-%m-%d %H:%M:%S} UTC"
        if latest
        else ""
    )
    out.print(f"{what} intact: {result.checked} entries, every hash, link and signature checks out{signed}")


@log_app.command("export")
def export(directory: Path = typer.Argument(..., help="Where to write the export (created if missing).")) -> None:
    """Write the audit log, its signed checkpoints and the public key for an outside auditor, who checks them
    with `infragate audit-log verify --export DIR --public-key KEY` (or any Ed25519 tool).

    Example:

      infragate audit-log export ./audit-2026-11
    """
    from infragate.store import open_store
    from infragate.workflow import audit_trail

    written = audit_trail.export(open_store(load_settings()), directory)
    out.print(f"exported {written} entries, their checkpoints and public.pem to {directory}")
