"""Who the CLI acts as: ``INFRAGATE_USER`` (like git's user.name), or ``--as`` for admins; and the workflow
service opened for a design as that user."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from infragate.cli.console import err
from infragate.design import Design, load_design
from infragate.errors import UsageError
from infragate.settings import load_settings

if TYPE_CHECKING:  # the store loads SQLAlchemy: only commands that use it pay for it
    from infragate.store import Store
    from infragate.workflow.service import Workflow

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
    """The design a command works on: the file given; else a registered project's design, when ``given``
    names one; else infragate.yaml in this directory or the nearest parent. Says which, when it was found."""
    if given is not None and (given.is_file() or given.suffix in (".yaml", ".yml") or len(given.parts) > 1):
        return given
    if given is not None:
        from infragate.workflow.projects import registered_design

        found = registered_design(local_store(), str(given))
        if found is None:
            raise UsageError(
                f"'{given}' is neither a design file nor a registered project",
                hint="Pass the design file (-d path/to/infragate.yaml); `infragate project list` shows projects.",
            )
        err.print(f"design: {found} (project {given})", markup=False)
        return found
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


def workflow(design_file: Path | None, acting_as: str | None = None, *, identified: bool = True) -> Workflow:
    """The workflow service for this design, acting as the current user (who must be known for decisions)."""
    return workflow_for(load_design(resolve_design(design_file)), acting_as, identified=identified)


def workflow_for(design: Design, acting_as: str | None = None, *, identified: bool = True) -> Workflow:
    """The same, for a design the command has already loaded (one load and one store per command)."""
    from infragate.workflow.service import Workflow

    return Workflow(local_store(), design, current_user(identified), acting_as=acting_as)


def local_store() -> Store:
    """The local store (local mode). Logged in to a server, the CLI never opens a store itself: the server
    alone records evidence, so a command that would is refused, saying what to run instead."""
    from infragate.cli import remote
    from infragate.store import open_store

    remote.refuse_locally(
        "Ask the server's workers for it (`infragate jobs submit verify|audit|drift|apply --env E`), or run it "
        "on the server's host",
    )
    return open_store(load_settings())
