"""Errors as ``application/problem+json`` (RFC 9457), mapped from infragate's exception tree in one place."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from infragate.errors import (
    AuthenticationError,
    DesignError,
    DuplicateDeliveryError,
    InfragateError,
    LockHeldError,
    NotFoundError,
    RefusedError,
    ServiceError,
    StoreError,
    TooManyAttemptsError,
    UsageError,
)
from infragate.workflow.roles import RoleError

PROBLEM = "application/problem+json"


def status_for(error: InfragateError) -> int:
    if isinstance(error, TooManyAttemptsError):
        return 429
    if isinstance(error, AuthenticationError):
        return 401
    if isinstance(error, RoleError | RefusedError):
        return 403
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, LockHeldError | DuplicateDeliveryError):
        return 409
    if isinstance(error, DesignError):
        return 422
    if isinstance(error, UsageError):
        return 400
    if isinstance(error, StoreError):
        return 503
    if isinstance(error, ServiceError):
        return 502
    return 500


def problem(status: int, title: str, detail: str, code: str, hint: str = "") -> JSONResponse:
    body = {
        "type": f"https://infragate.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,  # the error's stable code: the CLI raises the same error, so it exits as it would locally
    }
    if hint:
        body["hint"] = hint
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


async def infragate_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, InfragateError)
    status = status_for(error)
    return problem(status, type(error).__name__, error.message, error.code, error.hint)


class Problem(BaseModel):
    """An error, as RFC 9457 describes it, with infragate's stable error code."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    hint: str | None = None


_SCHEMA = Problem.model_json_schema()
_MEANINGS = {
    400: "The request cannot be used (a wrong value, an unknown environment)",
    401: "Not authenticated: no session or token, or a bad one",
    403: "Refused: a role or token scope the caller lacks, separation of duties, or a gate that does not hold",
    404: "No such project or finding",
    409: "Another writer holds the environment's lock; or a webhook delivery seen before",
    413: "The body is larger than 1 MiB",
    422: "The body or a parameter does not match the schema",
    429: "Too many sign-in attempts from this address",
    502: "A service infragate works through (GitHub, CircleCI, Loader.io) failed or refused",
    503: "The store cannot be reached",
}
# Every API operation may answer with these, as application/problem+json (declared for clients and checkers).
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": meaning, "content": {PROBLEM: {"schema": _SCHEMA}}} for status, meaning in _MEANINGS.items()
}


async def invalid_request(_: Request, error: Exception) -> JSONResponse:
    """FastAPI's own validation errors, as problems like every other error."""
    assert isinstance(error, RequestValidationError)
    where = "; ".join(
        f"{'.'.join(str(part) for part in item.get('loc', ()))}: {item.get('msg', '')}" for item in error.errors()[:5]
    )
    return problem(422, "RequestValidationError", where or "the request does not match the schema", "request.invalid")


async def invalid_command(_: Request, error: Exception) -> JSONResponse:
    """A request whose values make no valid command (checked after the route's own validation)."""
    assert isinstance(error, ValidationError)
    where = "; ".join(
        f"{'.'.join(str(part) for part in item.get('loc', ()))}: {item.get('msg', '')}" for item in error.errors()[:5]
    )
    return problem(422, "RequestValidationError", where or "the request does not match the schema", "request.invalid")
