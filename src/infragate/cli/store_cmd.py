"""``infragate db …`` and ``infragate audit-log …``: the store's schema and the integrity of its audit log."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from infragate.cli.client import open_client
from infragate.cli.console import err, out
from infragate.cli.exit_codes import ExitCode
from infragate.settings import load_settings

db_app = typer.Typer(help="The store (SQLite by default, PostgreSQL via INFRAGATE_DATABASE_URL).", no_args_is_help=True)
log_app = typer.Typer(
    help="The append-only audit log: hash-chained, and its head signed with a key kept outside the database.",
    no_args_is_help=True,
)


@db_app.command("upgrade")
def upgrade() -> None:
    """Create or migrate the schema to the newest version (commands also do this on first use).

    Example:

      infragate db upgrade
    """
    from infragate.workflow.maintenance import upgrade_store

    before, after = upgrade_store(load_settings())
    out.print(f"store {after.url}: schema {before.revision or 'empty'} -> {after.revision}")


@db_app.command("status")
def status() -> None:
    """Show which database is used and whether its schema is current. Exits 1 when it is behind.

    Example:

      infragate db status
    """
    from infragate.workflow.maintenance import store_state

    state = store_state(load_settings())
    out.print(f"store {state.url}: schema {state.revision or 'empty'} (newest {state.head})")
    if not state.current:
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
    from infragate.workflow.audit_trail import AuditLogStatus, VerifyAuditLog, verify_export

    if export_dir is not None:  # files and a public key alone: no store, in any mode
        result = AuditLogStatus.of(verify_export(export_dir, public_key))
        what = f"export {export_dir}"
    else:
        if public_key is not None:
            err.print("--public-key needs --export; the store is checked with its own signing key")
            raise typer.Exit(ExitCode.USAGE)
        result = open_client().execute(VerifyAuditLog())
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
    signed = (
        f"; last signed checkpoint: entry {result.head_id} at {result.head_at:%Y-%m-%d %H:%M:%S} UTC"
        if result.head_at is not None
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
    from infragate.workflow.audit_trail import ExportAuditLog

    written = open_client().execute(ExportAuditLog(directory=str(directory))).entries
    out.print(f"exported {written} entries, their checkpoints and public.pem to {directory}")
