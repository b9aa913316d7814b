"""The FastAPI application: the API (routes made from the application layer's commands, and the few with a
shape of their own), the dashboard, static files, error mapping and protections."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError

from infragate import __version__
from infragate.errors import InfragateError
from infragate.settings import load_settings
from infragate.web import api, pages, pages_work, sso, webhooks
from infragate.web.problems import PROBLEM_RESPONSES, infragate_error, invalid_command, invalid_request
from infragate.web.routes import add_command_routes
from infragate.web.security import SignInLimiter, headers_and_limits
from infragate.workflow.catalogue import commands
from infragate.workflow.context import UnitOfWork, open_unit_of_work

STATIC = Path(__file__).resolve().parent / "static"


def create_app(uow: UnitOfWork, *, sign_in_attempts: int = 10, follow_seconds: float = 300) -> FastAPI:
    """The app on ``uow``'s store and settings; each request gets a unit of work of its own from it (with the
    job queue its settings name, unless ``uow`` brings one). A job's event stream ends after
    ``follow_seconds``; clients reconnect with Last-Event-ID."""
    app = FastAPI(
        title="infragate",
        version=__version__,
        description="The Infrastructure Creation Policy as software: projects, gates, approvals, findings, "
        "checklist, launch and the audit log. Authenticate with a session (dashboard) or `Authorization: Bearer "
        "igt_…` (API tokens). Errors are application/problem+json.",
        docs_url="/api/docs",
        openapi_url="/api/v1/openapi.json",
        redoc_url=None,
    )
    if uow.queue is None:
        from infragate.jobs.queue import make_queue

        uow.queue = make_queue(uow.settings)
    app.state.uow = uow
    app.state.settings = uow.settings
    app.state.follow_seconds = follow_seconds
    app.state.sign_in = SignInLimiter(attempts=sign_in_attempts)
    app.middleware("http")(headers_and_limits)
    app.add_exception_handler(InfragateError, infragate_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(ValidationError, invalid_command)
    made = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)
    add_command_routes(made, commands())
    app.include_router(api.router)
    app.include_router(made)
    app.include_router(webhooks.router)
    app.include_router(pages.router)
    app.include_router(pages_work.router)
    sso.install(app, uow.settings)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def from_environment() -> FastAPI:
    """The app on the store the environment configures: what each of `infragate serve --workers N` loads."""
    settings = load_settings()
    return create_app(open_unit_of_work(settings), sign_in_attempts=settings.sign_in_limit)
