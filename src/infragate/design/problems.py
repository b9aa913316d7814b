"""Turn pydantic validation errors into located, human problems (with "did you mean" for typos)."""

from __future__ import annotations

import types
from typing import Annotated, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from infragate.design.source_map import Path, SourceMap, dotted
from infragate.errors import Problem, did_you_mean
from infragate.model.base import Component


def problems_from(
    error: ValidationError, data: object, source_map: SourceMap, schema: type[BaseModel]
) -> list[Problem]:
    """One Problem per distinct wrong field; alternatives of a union at one place are joined with "or"."""
    merged: dict[Path, list[str]] = {}
    given: dict[Path, str] = {}
    extras: list[Problem] = []
    for detail in error.errors(include_url=False):
        path = _data_path(detail["loc"], data)
        kind = detail["type"]
        if kind == "extra_forbidden":
            extras.append(_unknown_field(path, schema, source_map))
            continue
        message = f"required field '{path[-1]}' is missing" if kind == "missing" else _clean(detail["msg"])
        value = detail.get("input")
        if kind != "missing" and isinstance(value, str | int | float | bool) and repr(value) not in message:
            given[path] = f" (got {value!r})"
        messages = merged.setdefault(path, [])
        if message not in messages:
            messages.append(message)
    problems = [
        Problem(" or ".join(messages) + given.get(path, ""), source_map.locate(path), dotted(path))
        for path, messages in merged.items()
    ]
    return extras + problems


def _clean(message: str) -> str:
    # pydantic prefixes errors raised by our validators with "Value error, "; the user needs only the reason.
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def _data_path(loc: tuple[int | str, ...], data: object) -> Path:
    """Map a pydantic location onto the document, dropping union/validator tags that are not in the data."""
    path: list[str | int] = []
    current = data
    for position, step in enumerate(loc):
        last = position == len(loc) - 1
        held, child = _step_into(current, step)
        if held:
            current = child
        elif isinstance(current, dict) and last:
            pass  # a missing or unknown field: keep it, it names what is wrong
        else:
            continue  # a tag such as "literal['all','none']" or a model name inside a union
        path.append(step)
    return tuple(path)


def _step_into(container: object, step: int | str) -> tuple[bool, object]:
    """Whether ``container`` holds ``step``, and what it holds there."""
    if isinstance(container, dict) and step in container:
        return True, container[step]
    if isinstance(container, list) and isinstance(step, int) and 0 <= step < len(container):
        return True, container[step]
    return False, None


def _unknown_field(path: Path, schema: type[BaseModel], source_map: SourceMap) -> Problem:
    name = str(path[-1])
    allowed = sorted(fields_at(schema, path[:-1]))
    message = f"unknown field '{name}'"
    close = did_you_mean(name, allowed)
    if close:
        message += f"; did you mean '{close}'?"
    elif allowed:
        message += f"; allowed here: {', '.join(allowed)}"
    return Problem(message, source_map.locate(path, key=True), dotted(path))


def _alternatives(annotation: object) -> list[object]:
    """Strip Annotated/Optional/Union so we can look at the concrete types."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _alternatives(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [alt for arg in get_args(annotation) for alt in _alternatives(arg)]
    return [annotation]


def fields_at(schema: type[BaseModel], path: Path) -> set[str]:
    """The field names a model allows at ``path`` of a document described by ``schema``."""
    current: list[object] = [schema]
    for step in path:
        following: list[object] = []
        for annotation in current:
            for candidate in _alternatives(annotation):
                origin = get_origin(candidate)
                if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                    field = candidate.model_fields.get(str(step))
                    if field is not None:
                        following.append(field.annotation)
                elif origin is dict:
                    following.append(get_args(candidate)[1])
                elif origin is tuple or origin is list:
                    following.append(get_args(candidate)[0])
        current = following
    names: set[str] = set()
    for annotation in current:
        for candidate in _alternatives(annotation):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                hidden = {"name"} if issubclass(candidate, Component) else set()
                names |= set(candidate.model_fields) - hidden
    return names
