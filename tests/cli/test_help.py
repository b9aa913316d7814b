"""The CLI teaches: every command's --help has a worked example, names the choices of its enum-like options,
and says where identity (INFRAGATE_USER) matters."""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum
from typing import Any

import pytest
import typer

from infragate.cli.commands import COMMANDS as COMMAND_TABLE
from infragate.cli.commands import load
from infragate.cli.main import app

DECISIONS = {
    "approve design",
    "approve plan",
    "approve stress",
    "compliance sign",
    "checklist sign",
    "findings assign",
    "findings resolve",
    "findings accept",
    "launch",
    "lock release",
    "jobs cancel",
    "user add",
    "whoami",
}


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    if hasattr(command, "list_commands"):
        for name in command.list_commands(None):
            yield from _commands(command.get_command(None, name), (*path, name))
    else:
        yield " ".join(path), command


COMMANDS = dict(_commands(typer.main.get_command(app)))


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_a_worked_example(name: str) -> None:
    assert "Example" in (COMMANDS[name].help or ""), name


@pytest.mark.parametrize("name", sorted(DECISIONS))
def test_decisions_say_that_identity_matters(name: str) -> None:
    assert "INFRAGATE_USER" in (COMMANDS[name].help or ""), name


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_format_options_name_their_choices(name: str) -> None:
    for param in COMMANDS[name].params:
        if "--format" in getattr(param, "opts", []):
            annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
            enum_choices = isinstance(annotation, type) and issubclass(annotation, Enum)
            listed = " or " in (param.help or "")  # "table or json", "html or markdown"
            assert enum_choices or listed, f"{name}: --format does not list its choices"


@pytest.mark.parametrize("name", sorted(COMMAND_TABLE))
def test_the_lazy_command_table_matches_each_commands_own_help(name: str) -> None:
    command = load(name)
    assert command.get_short_help_str(limit=1000) == COMMAND_TABLE[name].summary
    assert command.rich_help_panel == COMMAND_TABLE[name].panel


def test_the_top_level_help_lists_every_command_without_loading_them() -> None:
    import subprocess
    import sys

    probe = (
        "import sys; from typer.testing import CliRunner; from infragate.cli.main import app; "
        "result = CliRunner().invoke(app, ['--help'], terminal_width=200); "
        "print(result.output); print('LOADED', sorted(m for m in sys.modules if m.startswith('infragate.cli.') "
        "and m.endswith('_cmd')))"
    )
    output = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert all(name in output for name in COMMAND_TABLE)
    assert "LOADED []" in output, "listing the commands imports none of their modules"
