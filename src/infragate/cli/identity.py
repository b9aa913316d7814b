"""Who the CLI acts as: ``INFRAGATE_USER`` (like git's user.name), or ``--as`` for admins; and the workflow
service opened for a design as that user."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from infragate.design import Design, load_design
from infragate.errors import UsageError
from infragate.settings import load_settings

if TYPE_CHECKING:  # the store loads SQLAlchemy: only commands that use it pay for it
    from infragate.workflow.service import Workflow

AS = typer.Option(None, "--as", help="Act as this user instead (admins only).")
DESIGN = typer.Option(Path("infragate.yaml"), "--design", "-d", help="The project's design file.")


def current_user(required: bool = True) -> str:
    name = os.environ.get("INFRAGATE_USER", "").strip()
    if not name and required:
        raise UsageError(
            "infragate does not know who you are",
            hint="Set INFRAGATE_USER to your user name (e.g. export INFRAGATE_USER=lena.lead@example.com); "
            "project owners are registered by `infragate project init`.",
        )
    return name or "infragate"


def workflow(design_file: Path, acting_as: str | None = None, *, identified: bool = True) -> Workflow:
    """The workflow service for this design, acting as the current user (who must be known for decisions)."""
    return workflow_for(load_design(design_file), acting_as, identified=identified)


def workflow_for(design: Design, acting_as: str | None = None, *, identified: bool = True) -> Workflow:
    """The same, for a design the command has already loaded (one load and one store per command)."""
    from infragate.store import open_store
    from infragate.workflow.service import Workflow

    return Workflow(open_store(load_settings()), design, current_user(identified), acting_as=acting_as)
