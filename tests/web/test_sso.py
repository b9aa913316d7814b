"""Single sign-on against a real (small, local) OpenID Connect provider: the code flow with PKCE, state and
nonce; a verified e-mail signs in as the matching user and nothing else; forged or foreign tokens are refused."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
from fastapi.testclient import TestClient

from infragate.settings import OidcSettings, load_settings
from infragate.store import Store, audit_log
from infragate.web.app import create_app
from infragate.workflow.context import UnitOfWork
from tests.support.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running_provider
from tests.web.conftest import LEAD


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running_provider() as running:
        yield running


@pytest.fixture
def sso_server(store: Store, provider: Provider) -> TestClient:
    provider.person, provider.audience, provider.rogue_key = {}, CLIENT_ID, False
    oidc = OidcSettings(provider.issuer, CLIENT_ID, CLIENT_SECRET, label="Example SSO")
    return TestClient(create_app(UnitOfWork(store, replace(load_settings(), oidc=oidc))), base_url="http://127.0.0.1")


def _sign_in_with_sso(server: TestClient, state: str | None = None) -> httpx.Response:
    """Press the button, let the provider sign the person in, and come back with its code."""
    to_provider = server.get("/auth/sso", follow_redirects=False)
    assert to_provider.status_code == 302, to_provider.text
    back = httpx.get(to_provider.headers["location"], follow_redirects=False)  # the provider, over real HTTP
    assert back.status_code in (302, 307), back.text
    callback = httpx.URL(back.headers["location"])
    params = dict(callback.params)
    if state is not None:
        params["state"] = state
    return server.get(callback.path, params=params, follow_redirects=False)


def test_the_sign_in_page_offers_the_organisations_provider(sso_server: TestClient) -> None:
    page = sso_server.get("/login")
    assert "Sign in with Example SSO" in page.text and 'href="/auth/sso"' in page.text


def test_a_verified_email_signs_in_as_the_matching_user(
    sso_server: TestClient, store: Store, provider: Provider
) -> None:
    provider.person = {"sub": "u-1", "email": LEAD, "email_verified": True}
    done = _sign_in_with_sso(sso_server)
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert sso_server.get("/api/v1/me").json()["name"] == LEAD
    with store.session() as session:
        last = audit_log.entries(session)[-1]
    assert (last.actor, last.action, last.detail["via"]) == (LEAD, "login", "oidc")


@pytest.mark.parametrize(
    ("person", "rogue", "audience", "says"),
    [
        ({"sub": "u-2", "email": "mallory@example.com", "email_verified": True}, False, CLIENT_ID, "not a user"),
        ({"sub": "u-3", "email": LEAD, "email_verified": False}, False, CLIENT_ID, "verified e-mail"),
        ({"sub": "u-4", "email": LEAD, "email_verified": True}, True, CLIENT_ID, "single sign-on failed"),
        ({"sub": "u-5", "email": LEAD, "email_verified": True}, False, "someone-else", "single sign-on failed"),
    ],
    ids=["unknown-user", "unverified-email", "token-signed-with-an-unpublished-key", "token-for-another-client"],
)
def test_what_must_not_sign_anyone_in(
    sso_server: TestClient, provider: Provider, person: dict[str, object], rogue: bool, audience: str, says: str
) -> None:
    provider.person, provider.rogue_key, provider.audience = person, rogue, audience
    refused = _sign_in_with_sso(sso_server)
    assert refused.status_code == 401 and says in refused.text
    assert "infragate_session" not in refused.headers.get("set-cookie", "")
    assert sso_server.get("/api/v1/me").status_code == 401


def test_a_forged_state_is_refused(sso_server: TestClient, provider: Provider) -> None:
    provider.person = {"sub": "u-1", "email": LEAD, "email_verified": True}
    refused = _sign_in_with_sso(sso_server, state="forged")
    assert refused.status_code == 401 and sso_server.get("/api/v1/me").status_code == 401


def test_without_configuration_there_is_no_sso(server: TestClient) -> None:
    assert "Sign in with" not in server.get("/login").text
    assert server.get("/auth/sso", follow_redirects=False).status_code == 404
