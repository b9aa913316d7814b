"""Who is asking: a bearer API token, or a signed-in browser session (with its CSRF token for forms)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse

from infragate.errors import AuthenticationError
from infragate.workflow import accounts
from infragate.workflow.context import Caller

SESSION_COOKIE = "infragate_session"


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def optional_principal(request: Request) -> Caller | None:
    store = request.app.state.uow.store
    token = bearer(request)
    if token is not None:
        found = accounts.token_principal(store, token)
        if found is None:
            raise AuthenticationError("the API token is unknown, revoked or expired", hint="Create a new one.")
        return found
    cookie = request.cookies.get(SESSION_COOKIE)
    return accounts.session_principal(store, cookie) if cookie else None


def principal(request: Request) -> Caller:
    """FastAPI dependency: the authenticated caller, or 401."""
    found = optional_principal(request)
    if found is None:
        raise AuthenticationError("sign in, or send an API token (Authorization: Bearer igt_…)", hint="")
    return found


def signed_in(request: Request, user: str) -> RedirectResponse:
    """Start a browser session for ``user`` and go to the portfolio: the session cookie is HttpOnly,
    SameSite=Strict, and Secure when the server speaks TLS."""
    secret, _csrf = accounts.start_session(request.app.state.uow.store, user)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=int(accounts.SESSION_LIFETIME.total_seconds()),
        path="/",
    )
    return response
