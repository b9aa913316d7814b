"""Single sign-on with the organisation's OpenID Connect provider, through Authlib.

The authorization code flow with PKCE (S256), state and nonce. Authlib discovers the provider, exchanges the
code and checks the ID token (signature against the provider's keys, issuer, audience, expiry, nonce). Who the
verified e-mail is in infragate is the accounts use-case's decision (``accounts.sso_user``): single sign-on
proves identity and never grants a role.

The flow's state lives for ten minutes in a signed cookie of its own (SameSite=Lax, so the provider's
redirect back carries it), signed with a key kept under INFRAGATE_HOME/keys that every server worker shares.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from starlette.middleware.sessions import SessionMiddleware

from infragate.errors import AuthenticationError
from infragate.settings import OidcSettings, Settings
from infragate.web.principals import signed_in
from infragate.workflow import accounts

router = APIRouter(include_in_schema=False)
FLOW_COOKIE = "infragate_sso_flow"
FLOW_SECONDS = 600


class OAuthClient(Protocol):
    """What infragate uses of Authlib's Starlette OAuth client for the provider."""

    async def authorize_redirect(self, request: Request, redirect_uri: str) -> Response: ...

    async def authorize_access_token(self, request: Request) -> dict[str, object]: ...


@dataclass(frozen=True)
class SingleSignOn:
    settings: OidcSettings
    client: OAuthClient


def install(app: FastAPI, settings: Settings) -> None:
    """Add single sign-on to the app when the organisation configured a provider (else the sign-in page has
    passwords only)."""
    app.state.sso = None
    if settings.oidc is None:
        return
    from authlib.integrations.starlette_client import OAuth

    oauth = OAuth()
    oauth.register(
        "organisation",
        client_id=settings.oidc.client_id,
        client_secret=settings.oidc.client_secret,
        server_metadata_url=settings.oidc.metadata_url,
        client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
    )
    app.state.sso = SingleSignOn(settings.oidc, oauth.create_client("organisation"))
    app.add_middleware(
        SessionMiddleware,
        secret_key=_flow_key(settings.home / "keys" / "sso-flow.key"),
        session_cookie=FLOW_COOKIE,
        max_age=FLOW_SECONDS,
        same_site="lax",
    )
    app.include_router(router)


def _flow_key(path: Path) -> str:
    """The key that signs the flow cookie: made once (exclusively, so parallel workers agree), owner-only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(handle, "w") as stream:
        key = secrets.token_urlsafe(48)
        stream.write(key)
    return key


@router.get("/auth/sso")
async def start(request: Request) -> Response:
    sso: SingleSignOn = request.app.state.sso
    try:
        redirect: Response = await sso.client.authorize_redirect(request, str(request.url_for("sso_callback")))
    except Exception as failure:  # an unreachable or wrong provider: the page says so, never a 500
        return _refused(request, f"the identity provider cannot be used ({type(failure).__name__}: {failure})")
    return redirect


@router.get("/auth/sso/callback", name="sso_callback")
async def callback(request: Request) -> Response:
    sso: SingleSignOn = request.app.state.sso
    if "error" in request.query_params:
        return _refused(request, f"the identity provider said: {request.query_params['error'][:200]}")
    try:
        token = await sso.client.authorize_access_token(request)
    except Exception as failure:  # a forged state, a bad token or signature: Authlib's errors, all refusals
        return _refused(request, f"single sign-on failed: {getattr(failure, 'description', None) or failure}")
    userinfo = token.get("userinfo")
    claims: dict[str, object] = dict(userinfo) if isinstance(userinfo, dict) else {}
    try:
        user = await asyncio.to_thread(accounts.sso_user, request.app.state.uow.store, sso.settings.issuer, claims)
    except AuthenticationError as refused:
        return _refused(request, refused.message)
    return signed_in(request, user)


def _refused(request: Request, message: str) -> Response:
    from infragate.web.pages import login_page

    return login_page(request, message, status=401)
