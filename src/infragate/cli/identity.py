"""Who the CLI acts as (``INFRAGATE_USER``, like git's user.name, or ``--as`` for admins) and which design a
command works on (``-d FILE``, ``--project NAME``, or infragate.yaml here or above)."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from infragate.cli.console import err
from infragate.errors import UsageError

AS = typer.Option(None, "--as", help="Act as this user instead (admins only; the audit log records both).")
DESIGN = typer.Option(
    None,
    "--design",
    "-d",
    "--project",
    "-p",
    help="The design file, or the name of a registered project (default: infragate.yaml here or in a parent "
    "directory).",
)
DESIGN_FILE = "infragate.yaml"


def resolve_design(given: Path | None) -> Path:
    """The design file a command works on: the file given; else infragate.yaml in this directory or the
    nearest parent (said, when it is not here)."""
    if given is not None:
        return given
    for folder in (Path.cwd(), *Path.cwd().parents):
        candidate = folder / DESIGN_FILE
        if candidate.is_file():
            if folder != Path.cwd():
                err.print(f"design: {candidate}", markup=False)
            return candidate
    raise UsageError(
        f"no {DESIGN_FILE} in this directory or any parent",
        hint="Pass the design file with -d path/to/infragate.yaml, or a registered project with --project NAME.",
    )


def current_user(required: bool = True) -> str:
    name = os.environ.get("INFRAGATE_USER", "").strip()
    if not name and required:
        raise UsageError(
            "infragate does not know who you are",
            hint="Set INFRAGATE_USER to your user name (e.g. export INFRAGATE_USER=lena.lead@example.com); "
            "in local mode it is not checked, so this is for trying infragate and solo work.",
        )
    return name or "infragate"
