"""A small OpenID Connect provider for the tests, on 127.0.0.1: discovery, JWKS, an authorization endpoint
that signs in whoever the test says (no consent screen), and a token endpoint that checks the client secret,
the redirect URI and the PKCE verifier and issues an RS256 ID token with the request's nonce.

Knobs let a test make it misbehave the ways real attacks and misconfigurations look: sign with a key it does
not publish, assert another audience, or leave the e-mail unverified."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse
from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.support.servers import free_port, serving

CLIENT_ID, CLIENT_SECRET = "infragate-tests", "a client secret for the tests"


@dataclass
class Provider:
    issuer: str = ""
    person: dict[str, Any] = field(default_factory=dict)  # the claims of who signs in next
    audience: str = CLIENT_ID
    rogue_key: bool = False  # sign ID tokens with a key the JWKS does not publish
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, {"kid": "k1", "alg": "RS256"}, private=True))
    other: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(2048, {"kid": "k1", "alg": "RS256"}, private=True)
    )
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)


def _app(provider: Provider) -> FastAPI:
    app = FastAPI()

    @app.get("/.well-known/openid-configuration")
    def discovery() -> dict[str, Any]:
        return {
            "issuer": provider.issuer,
            "authorization_endpoint": f"{provider.issuer}/authorize",
            "token_endpoint": f"{provider.issuer}/token",
            "jwks_uri": f"{provider.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    @app.get("/jwks")
    def jwks() -> dict[str, Any]:
        return {"keys": [provider.key.as_dict(private=False)]}

    @app.get("/authorize")
    def authorize(request: Request) -> RedirectResponse:
        query = request.query_params
        if query.get("client_id") != CLIENT_ID or query.get("code_challenge_method") != "S256":
            raise HTTPException(400, "unknown client or no PKCE")
        code = secrets.token_urlsafe(16)
        provider.codes[code] = {
            "nonce": query.get("nonce"),
            "challenge": query["code_challenge"],
            "redirect_uri": query["redirect_uri"],
        }
        return RedirectResponse(f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}")

    @app.post("/token")
    def token(
        request: Request,
        code: str = Form(...),
        redirect_uri: str = Form(...),
        code_verifier: str = Form(...),
        client_id: str = Form(""),
        client_secret: str = Form(""),
    ) -> JSONResponse:
        basic = request.headers.get("authorization", "")
        if basic.lower().startswith("basic "):
            client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
        grant = provider.codes.pop(code, None)
        if (client_id, client_secret) != (CLIENT_ID, CLIENT_SECRET) or grant is None:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()).rstrip(b"=").decode()
        if challenge != grant["challenge"] or redirect_uri != grant["redirect_uri"]:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        now = int(time.time())
        claims = {"iss": provider.issuer, "aud": provider.audience, "iat": now, "exp": now + 300}
        claims |= {"nonce": grant["nonce"], **provider.person}
        signer = provider.other if provider.rogue_key else provider.key
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, signer)
        return JSONResponse({"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": id_token})

    return app


@contextmanager
def running_provider() -> Iterator[Provider]:
    provider = Provider()
    port = free_port()
    provider.issuer = f"http://127.0.0.1:{port}"  # the issuer names itself in its tokens: known before serving
    with serving(_app(provider), port):
        yield provider
