"""The CLI's client in team mode: each command goes to the route its ``http`` declaration names, and the
answer is decoded into the command's own result type. A problem answer becomes the same infragate error the
server raised (by its stable code), so the CLI shows it and exits as it would in local mode.

Commands without an HTTP binding read AWS or write evidence from where they run: in team mode only the
server's workers do that, so they are refused here with what to run instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TypeVar, cast
from urllib.parse import quote

from pydantic import BaseModel

from infragate.cli.remote import Server
from infragate.errors import (
    AuthenticationError,
    InfragateError,
    NotFoundError,
    ServerError,
    UsageError,
)
from infragate.workflow.messages import Command, FileOut

R = TypeVar("R", bound=BaseModel)
TIMEOUT_S = 30.0
QUERY_METHODS = ("GET", "DELETE")


class HttpClient:
    """Runs commands through an infragate server, as the person its token belongs to."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.where = f"team mode: answered by {server.url} as {server.user}"

    def execute(self, command: Command[R]) -> R:
        http = type(command).http
        if http is None:
            raise UsageError(
                f"this command works on a local store, and this CLI is logged in to {self.server.url} (team mode), "
                "where only the server records evidence",
                hint="Ask the server's workers for it (`infragate jobs submit verify|audit|drift|apply|test|stress|"
                "scan|drill --env E`), or run it on the server's host; or `infragate logout` to work in local mode.",
            )
        values = command.model_dump(mode="json")
        path_fields = http.path_fields()
        path = http.path.format(**{name: quote(str(values.pop(name)), safe="") for name in path_fields})
        raw = values.pop(http.raw) if http.raw else None
        content: bytes | None = None
        if raw is not None:
            field = getattr(command, http.raw)
            content = field if isinstance(field, bytes) else str(field).encode()
        query = values if (http.method in QUERY_METHODS or http.raw) else None
        body = None if query is not None else values
        answer = self.request(http.method, path, query=query, body=body, content=content)
        result = type(command).result_type()
        if issubclass(result, FileOut):
            return cast(R, result(name=path.rsplit("/", 1)[-1], media_type=answer.media_type, data=answer.data))
        return cast(R, result.model_validate(answer.json()))

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, object] | None = None,
        body: Mapping[str, object] | None = None,
        content: bytes | None = None,
    ) -> Answer:
        """``method /api/v1{path}`` as this user."""
        import httpx

        headers = {"Authorization": f"Bearer {self.server.token}"} if self.server.token else {}  # none: signing in
        if content is not None:
            headers["Content-Type"] = "application/octet-stream"
        params: list[tuple[str, str | int | float | bool | None]] = [
            (k, _query_text(item)) for k, v in (query or {}).items() for item in _query_items(v)
        ]
        try:
            response = httpx.request(
                method,
                f"{self.server.url}/api/v1{path}",
                params=params,
                headers=headers,
                timeout=TIMEOUT_S,
                json=body,
                content=content,
            )
        except httpx.HTTPError as failure:
            raise ServerError(
                f"cannot reach the infragate server at {self.server.url} ({type(failure).__name__})",
                hint="Check the address and that `infragate serve` runs there; `infragate logout` returns to "
                "local mode.",
            ) from None
        if response.status_code >= 400:
            raise error_from(
                response.status_code, response.headers.get("content-type", ""), response.text, self.server.url
            )
        return Answer(response.headers.get("content-type", ""), response.content)

    @contextmanager
    def stream(self, path: str, last_event: int = 0) -> Iterator[Iterator[str]]:
        """The lines of a server-sent event stream, resumed after ``last_event``."""
        import httpx

        headers = {"Authorization": f"Bearer {self.server.token}", "Accept": "text/event-stream"}
        if last_event:
            headers["Last-Event-ID"] = str(last_event)
        with httpx.Client(timeout=httpx.Timeout(TIMEOUT_S, read=None)) as client:
            try:
                with client.stream("GET", f"{self.server.url}/api/v1{path}", headers=headers) as response:
                    if response.status_code >= 400:
                        text = response.read().decode(errors="replace")
                        raise error_from(
                            response.status_code, response.headers.get("content-type", ""), text, self.server.url
                        )
                    yield response.iter_lines()
            except httpx.HTTPError as failure:
                raise ServerError(
                    f"cannot reach the infragate server at {self.server.url} ({type(failure).__name__})"
                ) from None


class Answer:
    def __init__(self, media_type: str, data: bytes) -> None:
        self.media_type, self.data = media_type, data

    def json(self) -> object:
        return json.loads(self.data)


def _query_items(value: object) -> list[object]:
    """A query field's values: a list is the field repeated; None is left out."""
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _query_text(value: object) -> str:
    """As httpx writes a value into a query (JSON's true and false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _errors() -> dict[str, type[InfragateError]]:
    """Every error class by its stable code (the application layer's included)."""
    import infragate.workflow.roles  # noqa: F401  -- RoleError is one of them

    found: dict[str, type[InfragateError]] = {}
    pending: list[type[InfragateError]] = [InfragateError]
    while pending:
        klass = pending.pop()
        found.setdefault(klass.code, klass)
        pending += klass.__subclasses__()
    return found


def error_from(status: int, content_type: str, text: str, url: str) -> InfragateError:
    """The infragate error a problem+json answer stands for."""
    detail, hint, code = text[:300], "", ""
    if "json" in content_type:
        try:
            problem = json.loads(text)
            detail, hint = str(problem.get("detail", detail)), str(problem.get("hint") or "")
            code = str(problem.get("code") or "")
        except (ValueError, AttributeError):
            pass
    if status == 401:
        return AuthenticationError(
            f"the server refused the credentials: {detail}",
            hint=hint or "Your token may have expired or been revoked: `infragate login --server URL` again.",
        )
    klass = _errors().get(code)
    if klass is InfragateError:  # a bug on the server: the same exit code as a bug here
        return InfragateError(f"the server at {url} answered {status}: {detail}", hint=hint or "See the server's log.")
    if klass is not None:
        try:
            return klass(detail, hint=hint)
        except TypeError:  # an error that needs more than a message: its nearest plain kind
            pass
    if status == 404:
        return NotFoundError(detail, hint=hint)
    if status in (400, 409, 413, 422, 429):
        return UsageError(detail, hint=hint)
    return ServerError(f"the server at {url} answered {status}: {detail}", hint=hint or "See the server's log.")
