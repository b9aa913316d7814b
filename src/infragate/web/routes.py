"""The API's routes, made from the application layer's commands: every command that declares ``http`` gets
its route here (path fields from the path, the others from the JSON body, or the query for GET and DELETE),
runs as the authenticated caller through ``bus.handle``, and answers with its result type. The CLI's HTTP
client reads the same declarations, so the two sides cannot drift apart."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, create_model
from pydantic.fields import FieldInfo
from starlette.concurrency import run_in_threadpool

from infragate.errors import UsageError
from infragate.web.principals import principal
from infragate.web.problems import PROBLEM_RESPONSES
from infragate.workflow.bus import handle
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.messages import AnyCommand, FileOut, Http

CallerDep = Annotated[Caller, Depends(principal)]
QUERY_METHODS = ("GET", "DELETE")


def unit_of_work(request: Request) -> UnitOfWork:
    """A unit of work for this request (its own caches), on the server's store and ports."""
    base: UnitOfWork = request.app.state.uow
    return base.fresh()


def add_command_routes(router: APIRouter, commands: Iterable[type[AnyCommand]]) -> None:
    for command in commands:
        http = command.http
        if http is None or http.custom:
            continue
        result = command.result_type()
        file = issubclass(result, FileOut)
        doc = inspect.cleandoc(command.__doc__ or "")
        router.add_api_route(
            http.path,
            endpoint_for(command, http),
            methods=[http.method],
            status_code=http.status,
            tags=[http.tag] if http.tag else None,
            summary=doc.split("\n", 1)[0].rstrip(".") or command.__name__,
            description=doc,
            responses=PROBLEM_RESPONSES,
            operation_id=command.__name__,
            name=command.__name__,
            # A file is served as itself; anything else as its result model, the same on both sides of the API.
            response_class=Response if file else JSONResponse,
            response_model=None if file else result,
        )


Endpoint = Callable[..., Awaitable[BaseModel | Response]]  # FastAPI reads its parameters from __signature__


def endpoint_for(command: type[AnyCommand], http: Http) -> Endpoint:
    """An async endpoint whose signature FastAPI reads: the path fields, then the query fields or a body model."""
    fields = command.model_fields
    path = http.path_fields()
    rest = {name: info for name, info in fields.items() if name not in path and name != http.raw}
    kind = inspect.Parameter.KEYWORD_ONLY
    parameters = [
        inspect.Parameter("request", kind, annotation=Request),
        inspect.Parameter("caller", kind, annotation=CallerDep),
    ]
    parameters += [inspect.Parameter(name, kind, annotation=fields[name].annotation) for name in path]
    body_model: type[BaseModel] | None = None
    if http.method in QUERY_METHODS or http.raw:
        parameters += [
            inspect.Parameter(name, kind, annotation=Annotated[info.annotation, _query(info)], default=info.default)
            for name, info in rest.items()
            if not info.is_required()
        ]
        parameters += [
            inspect.Parameter(name, kind, annotation=Annotated[info.annotation, _query(info)])
            for name, info in rest.items()
            if info.is_required()
        ]
        parameters.sort(key=lambda p: p.default is not inspect.Parameter.empty)
    elif rest:
        definitions = {name: (info.annotation, info) for name, info in rest.items()}
        body_model = create_model(f"{command.__name__}Body", **definitions)  # type: ignore[call-overload]
        required = any(info.is_required() for info in rest.values())
        parameters.append(
            inspect.Parameter(
                "body", kind, annotation=body_model, default=inspect.Parameter.empty if required else None
            )
        )

    async def endpoint(request: Request, caller: Caller, **given: object) -> BaseModel | Response:
        values = {name: value for name, value in given.items() if name != "body"}
        body = given.get("body")
        if isinstance(body, BaseModel):
            values |= body.model_dump(exclude_unset=True)
        if http.raw:
            values[http.raw] = await _raw(request, http, fields[http.raw].annotation)
        built = command.model_validate(values)
        result = await run_in_threadpool(handle, built, caller, unit_of_work(request))
        if isinstance(result, FileOut):
            return Response(result.data, media_type=result.media_type)
        return result

    endpoint.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    endpoint.__name__ = command.__name__
    return endpoint


def _query(info: FieldInfo) -> object:
    """FastAPI's marker of a query parameter, with the field's description for the OpenAPI document."""
    return Query(description=info.description) if info.description else Query()


async def _raw(request: Request, http: Http, annotation: object) -> bytes | str:
    """The request's body itself (a report, a findings file), at most ``http.max_body`` bytes, chunked or not."""
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > http.max_body:
            raise UsageError(f"the body is larger than {http.max_body} bytes")
    if annotation is str:
        try:
            return bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError("the body is not UTF-8 text", hint="Send the file as UTF-8.") from None
    return bytes(data)
