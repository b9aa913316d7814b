"""The FastAPI application: the API, the dashboard, static files, error mapping and protections."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles

from infragate import __version__
from infragate.errors import InfragateError
from infragate.settings import Settings, load_settings
from infragate.store import Store
from infragate.web import api, api_compliance, api_pentest, api_work, pages, pages_work, sso, webhooks
from infragate.web.problems import infragate_error, invalid_request
from infragate.web.security import SignInLimiter, headers_and_limits

STATIC = Path(__file__).resolve().parent / "static"


def create_app(
    store: Store, *, settings: Settings | None = None, sign_in_attempts: int = 10, follow_seconds: float = 300
) -> FastAPI:
    """The app on ``store``; ``settings`` say where the job queue is (the environment's, by default). A job's
    event stream ends after ``follow_seconds``; clients reconnect with Last-Event-ID."""
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
    app.state.store = store
    app.state.settings = settings or load_settings()
    app.state.follow_seconds = follow_seconds
    app.state.sign_in = SignInLimiter(attempts=sign_in_attempts)
    app.middleware("http")(headers_and_limits)
    app.add_exception_handler(InfragateError, infragate_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.include_router(api.router)
    app.include_router(api_work.router)
    app.include_router(api_pentest.router)
    app.include_router(api_compliance.router)
    app.include_router(webhooks.router)
    app.include_router(pages.router)
    app.include_router(pages_work.router)
    sso.install(app, app.state.settings)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def from_environment() -> FastAPI:
    """The app on the store the environment configures: what each of `infragate serve --workers N` loads."""
    from infragate.store import open_store

    settings = load_settings()
    return create_app(open_store(settings), settings=settings, sign_in_attempts=settings.sign_in_limit)
