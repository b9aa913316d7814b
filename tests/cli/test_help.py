"""The CLI teaches: every command's --help has a worked example, names the choices of its enum-like options,
and says where identity (INFRAGATE_USER) matters."""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum
from typing import Any

import pytest
import typer

from infragate.cli.main import app

DECISIONS = {
    "approve design",
    "approve plan",
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
