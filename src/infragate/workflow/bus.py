"""Running a use-case: ``handle(command, caller, uow)`` calls the command's handler and returns its typed
result. Every front end calls this (the CLI through its local client, the API's routes, the dashboard, the
job runner, the ``run`` pipeline); nothing else runs a use-case.

After the outermost command, each environment whose evidence it changed gets its stage settled once (the
``RefreshStage`` command): the portfolio shows the stage and who must act next without evaluating gates on
every page view, and a query never writes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

from pydantic import BaseModel

from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.messages import AnyCommand, Command

R = TypeVar("R", bound=BaseModel)
C = TypeVar("C", bound=AnyCommand)


def handles(command: type[C]) -> Callable[[Callable[[C, Caller, UnitOfWork], R]], Callable[[C, Caller, UnitOfWork], R]]:
    """Attach ``handler`` to ``command``: the function that runs it."""

    def attach(handler: Callable[[C, Caller, UnitOfWork], R]) -> Callable[[C, Caller, UnitOfWork], R]:
        if command.__dict__.get("handler") is not None:
            raise TypeError(f"{command.__name__} already has a handler")
        command.handler = handler
        return handler

    return attach


def handle(command: Command[R], caller: Caller, uow: UnitOfWork) -> R:
    """Run ``command`` as ``caller``; its result, or the infragate error that refused it."""
    handler = type(command).handler
    if handler is None:
        raise TypeError(f"{type(command).__name__} has no handler (decorate one with @handles)")
    with uow.nested() as outermost:
        result = handler(command, caller, uow)
        if outermost:
            settle(uow)
    expected = type(command).result_type()
    if not isinstance(result, expected):
        raise TypeError(f"the handler of {type(command).__name__} returned {type(result).__name__}, not {expected}")
    return cast(R, result)


def settle(uow: UnitOfWork) -> None:
    """Refresh the stage of every environment whose evidence changed (once each)."""
    from infragate.workflow.gatekeeping import RefreshStage

    for project, environment in uow.take_changes():
        handle(RefreshStage(project=project, environment=environment), Caller("infragate", via="worker"), uow)
        uow.take_changes()  # settling writes no new evidence; nothing to settle again
