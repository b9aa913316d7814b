"""The REST API and sign-in, through the real HTTP stack: authentication, tokens, problem+json, and an
authorisation matrix of every role against every action, including across projects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from infragate.settings import load_settings
from infragate.store import Store
from infragate.web.app import create_app
from infragate.workflow import accounts
from infragate.workflow.context import UnitOfWork
from tests.support.people import ADMIN
from tests.web.conftest import DEV, INFRA, LEAD, PASSWORD, SECURITY, sign_in

PROBLEM = "application/problem+json"


def token_for(server: TestClient, name: str, **scope: Any) -> str:
    sign_in(server, name)
    made = server.post("/api/v1/tokens", json={"name": f"{name} test", **scope})
    assert made.status_code == 201, made.text
    server.cookies.clear()
    return str(made.json()["token"])


def test_without_credentials_every_api_call_is_a_401_problem(server: TestClient) -> None:
    for path in ("/api/v1/me", "/api/v1/portfolio", "/api/v1/projects/webshop/findings", "/api/v1/audit-log"):
        response = server.get(path)
        assert response.status_code == 401 and response.headers["content-type"] == PROBLEM, path
        assert response.json()["status"] == 401
    forged = server.get("/api/v1/me", headers={"Authorization": "Bearer igt_not-a-real-token"})
    assert forged.status_code == 401


def test_sign_in_with_a_wrong_password_locks_the_account_after_five_tries(server: TestClient) -> None:
    for _ in range(5):
        assert server.post("/login", data={"name": DEV, "password": "wrong-password!"}).status_code == 401
    locked = server.post("/login", data={"name": DEV, "password": PASSWORD})
    assert locked.status_code == 401 and "locked until" in locked.text
    unknown = server.post("/login", data={"name": "nobody@example.com", "password": PASSWORD})
    assert unknown.status_code == 401 and "wrong user name or password" in unknown.text


def test_sign_in_is_rate_limited_per_address(store: Store) -> None:
    client = TestClient(create_app(UnitOfWork(store, load_settings()), sign_in_attempts=3), base_url="http://127.0.0.1")
    codes = [client.post("/login", data={"name": LEAD, "password": "x" * 12}).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]


def test_the_session_cookie_is_http_only_and_same_site_and_pages_carry_security_headers(server: TestClient) -> None:
    response = server.post("/login", data={"name": LEAD, "password": PASSWORD}, follow_redirects=False)
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie  # plain HTTP here
    page = server.get("/")
    assert page.status_code == 200 and "webshop" in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in page.text and "style=" not in page.text


def test_a_token_is_shown_once_kept_hashed_and_revocable(server: TestClient, store: Store) -> None:
    sign_in(server, DEV)
    made = server.post("/api/v1/tokens", json={"name": "ci pipeline", "projects": ["webshop"], "days": 7})
    token = made.json()["token"]
    assert token.startswith("igt_") and "token" not in server.get("/api/v1/tokens").json()[0]
    with store.session() as session:
        from sqlalchemy import text

        kept = session.execute(text("SELECT token_hash FROM api_tokens")).scalar()
    assert kept != token and len(str(kept)) == 64
    server.cookies.clear()
    auth = {"Authorization": f"Bearer {token}"}
    assert server.get("/api/v1/me", headers=auth).json()["name"] == DEV
    assert server.get("/api/v1/tokens", headers=auth).json()[0]["last_used_at"] is not None
    minted = server.post("/api/v1/tokens", headers=auth, json={"name": "more"})
    assert minted.status_code == 403, "a token never mints tokens"
    assert server.delete(f"/api/v1/tokens/{made.json()['id']}", headers=auth).status_code == 200
    assert server.get("/api/v1/me", headers=auth).status_code == 401


def test_a_token_scoped_to_one_role_cannot_use_the_others(server: TestClient, store: Store) -> None:
    from infragate.design import load_design
    from infragate.model import Role
    from tests.conftest import WEBSHOP
    from tests.support.acting import Person

    Person(store, load_design(WEBSHOP), ADMIN).add_member(DEV, Role.INFRA)
    token = token_for(server, DEV, roles=["developer"])
    auth = {"Authorization": f"Bearer {token}"}
    signed = server.post(
        "/api/v1/projects/webshop/environments/staging/checklist/on-call-tested/signatures",
        headers=auth,
        json={"comment": "restored yesterday"},
    )
    assert signed.status_code == 403, "on-call-tested is infra's, and this token carries only developer"


def test_expired_tokens_do_not_work(server: TestClient, store: Store) -> None:
    info, secret = accounts.create_token(store, DEV, "old", projects=[], roles=[], days=1)
    with store.engine.begin() as connection:
        from sqlalchemy import text

        connection.execute(text("UPDATE api_tokens SET expires_at = '2000-01-01 00:00:00'"))
    assert server.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert info.name == "old"


# Every role against every action: (who, method, path, body) -> allowed?
ACTIONS: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "read gates": ("GET", "/api/v1/projects/webshop/environments/staging/gates", None),
    "list findings": ("GET", "/api/v1/projects/webshop/findings", None),
    "approve design": ("POST", "/api/v1/projects/webshop/environments/staging/design-approvals", {"comment": "ok"}),
    "sign on-call": (
        "POST",
        "/api/v1/projects/webshop/environments/staging/checklist/on-call-tested/signatures",
        {"comment": "done"},
    ),
    "launch": ("POST", "/api/v1/projects/webshop/environments/staging/launch", None),
    "audit log": ("GET", "/api/v1/audit-log", None),
    "other project": ("GET", "/api/v1/projects/payroll/environments/staging/gates", None),
}
ALLOWED = {
    LEAD: {"read gates", "list findings", "approve design"},
    SECURITY: {"read gates", "list findings", "approve design"},  # security's approval is the review
    INFRA: {"read gates", "list findings", "sign on-call"},
    DEV: {"read gates", "list findings"},
    # An admin manages people, reads every project and the log, and acts on none: admin is no project role.
    ADMIN: {"read gates", "list findings", "audit log", "other project"},
}
REFUSED_NOT_ALLOWED = {"launch": 403}  # launch is a lead's, but the gates do not hold: refused either way


@pytest.mark.parametrize("who", sorted(ALLOWED))
def test_authorisation_matrix(server: TestClient, store: Store, who: str, tmp_path: Path) -> None:
    _other_project(store, tmp_path)
    token = token_for(server, who)
    for action, (method, path, body) in ACTIONS.items():
        response = server.request(method, path, json=body, headers={"Authorization": f"Bearer {token}"})
        allowed = action in ALLOWED[who]
        if allowed:
            assert response.status_code in (200, 201), (who, action, response.text)
        else:
            assert response.status_code in (403, 404), (who, action, response.status_code, response.text)
            assert response.headers["content-type"] == PROBLEM


def _other_project(store: Store, folder: Path) -> None:
    """A second client's project, with other people: nobody of webshop holds a role on it."""
    import yaml

    from infragate.design import load_design
    from tests.conftest import WEBSHOP, deep_merge
    from tests.support.people import seat_owners

    data = yaml.safe_load(WEBSHOP.read_text())
    people = {role: [f"{role}@other.example"] for role in ("lead", "infra", "developer", "security")}
    other = deep_merge(data, {"project": {"name": "payroll", "client": "Other Co", "owners": people}})
    path = folder / "payroll.yaml"
    path.write_text(yaml.safe_dump(other))
    seat_owners(store, load_design(path))


def test_problems_name_the_refusal(server: TestClient) -> None:
    token = token_for(server, DEV)
    response = server.post(
        "/api/v1/projects/webshop/environments/staging/design-approvals",
        headers={"Authorization": f"Bearer {token}"},
        json={"comment": "let me"},
    )
    problem = response.json()
    assert response.status_code == 403 and problem["title"] == "RoleError" and DEV in problem["detail"]
    missing = server.get("/api/v1/projects/nope/findings", headers={"Authorization": f"Bearer {token}"})
    assert missing.status_code == 404 and missing.json()["type"].endswith("not-found")
    big = server.post("/login", content=b"x" * (2 << 20), headers={"content-type": "text/plain"})
    assert big.status_code == 413


def test_admins_manage_members_through_the_api_and_leads_only_read_them(server: TestClient) -> None:
    lead = {"Authorization": f"Bearer {token_for(server, LEAD)}"}
    admin = {"Authorization": f"Bearer {token_for(server, ADMIN)}"}
    members = server.get("/api/v1/projects/webshop/members", headers=lead).json()
    assert {"user": LEAD, "role": "lead"}.items() <= next(m for m in members if m["user"] == LEAD).items()
    grant = {"user": "kim@client.example", "role": "client"}
    assert server.post("/api/v1/projects/webshop/members", headers=lead, json=grant).status_code == 403
    added = server.post("/api/v1/projects/webshop/members", headers=admin, json=grant)
    assert added.status_code == 201 and added.json()["change"] == "grant"
    removed = server.delete("/api/v1/projects/webshop/members/kim@client.example/client", headers=admin)
    assert removed.status_code == 200 and removed.json()["change"] == "revoke"


def test_reports_download_as_json_html_and_pdf_for_members_only(server: TestClient) -> None:
    lead = {"Authorization": f"Bearer {token_for(server, LEAD)}"}
    base = "/api/v1/projects/webshop/environments/staging/report"
    data = server.get(base, headers=lead)
    assert data.status_code == 200 and data.json()["attestation"] == "server: people authenticated"
    html = server.get(f"{base}?format=html", headers=lead)
    assert "Compliance report: webshop / staging" in html.text
    assert 'filename="webshop-staging.html"' in html.headers["content-disposition"]
    pdf = server.get(f"{base}?format=pdf", headers=lead)
    assert pdf.content.startswith(b"%PDF-")
    assert server.get(base).status_code == 401
    assert server.get(f"{base}?format=xml", headers=lead).status_code == 422


def test_the_openapi_document_describes_the_api(server: TestClient) -> None:
    document = server.get("/api/v1/openapi.json").json()
    assert {"/api/v1/portfolio", "/api/v1/tokens", "/api/v1/audit-log"} <= set(document["paths"])


def test_wrong_password_for_a_token_owner_still_401(server: TestClient) -> None:
    assert server.post("/login", data={"name": LEAD, "password": PASSWORD + "x"}).status_code == 401
