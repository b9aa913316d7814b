"""Errors as ``application/problem+json`` (RFC 9457), mapped from infragate's exception tree in one place."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from infragate.errors import (
    AuthenticationError,
    DesignError,
    InfragateError,
    LockHeldError,
    NotFoundError,
    RefusedError,
    StoreError,
    UsageError,
)
from infragate.workflow.roles import RoleError

PROBLEM = "application/problem+json"


def status_for(error: InfragateError) -> int:
    if isinstance(error, AuthenticationError):
        return 401
    if isinstance(error, RoleError | RefusedError):
        return 403
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, LockHeldError):
        return 409
    if isinstance(error, DesignError):
        return 422
    if isinstance(error, UsageError):
        return 400
    if isinstance(error, StoreError):
        return 503
    return 500


def problem(status: int, title: str, detail: str, code: str, hint: str = "") -> JSONResponse:
    body = {"type": f"https://infragate.dev/problems/{code}", "title": title, "status": status, "detail": detail}
    if hint:
        body["hint"] = hint
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


async def infragate_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, InfragateError)
    status = status_for(error)
    return problem(status, type(error).__name__, error.message, error.code, error.hint)
