"""Dashboard pages around the decisions: the audit log for admins with its verification status, the design
documents of the current digest only, the diff since the approved design, and plan approval by a lead."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from infragate.design import load_design
from infragate.store import Store
from infragate.workflow.records import DocsSummary, PlanSummary
from tests.conftest import WEBSHOP
from tests.support.acting import Person
from tests.support.people import ADMIN
from tests.web.conftest import DEV, LEAD, sign_in

STAGING = "/projects/webshop/environments/staging"


def test_the_audit_log_page_shows_admins_whether_it_verifies(server: TestClient, store: Store) -> None:
    sign_in(server, LEAD)
    assert server.get("/audit-log").status_code == 403
    server.cookies.clear()
    sign_in(server, ADMIN)
    page = server.get("/audit-log")
    assert page.status_code == 200 and "Verified:" in page.text and "login" in page.text
    with store.engine.begin() as connection:  # someone rewrites history in the database
        from sqlalchemy import text

        connection.execute(text("UPDATE audit_log SET actor = 'nobody' WHERE id = 1"))
    broken = server.get("/audit-log")
    assert "does not verify" in broken.text and "entry 1" in broken.text


def test_design_documents_are_served_only_for_the_current_digest(
    server: TestClient, store: Store, tmp_path: Path
) -> None:
    flow = Person(store, load_design(WEBSHOP), LEAD)
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "index.html").write_text("<html><style>h1{}</style><h1>webshop</h1><img src='a.png'></html>")
    (folder / "a.png").write_bytes(b"\x89PNG\r\n")
    (tmp_path / "secret.txt").write_text("not a document")
    flow.record_run("staging", DocsSummary(), succeeded=True, artifact_path=str(folder / "index.html"))
    sign_in(server, DEV)
    index = server.get(f"{STAGING}/docs/index.html")
    assert index.status_code == 200 and "<h1>webshop</h1>" in index.text
    assert "sandbox" in index.headers["content-security-policy"]
    assert server.get(f"{STAGING}/docs/a.png").status_code == 200
    assert server.get(f"{STAGING}/docs/..%2Fsecret.txt").status_code == 404
    assert server.get(f"{STAGING}/docs/missing.png").status_code == 404
    assert "design documents and diagrams" in server.get(STAGING).text
    other = tmp_path / "other.yaml"  # the same project, another version of its design
    other.write_text(WEBSHOP.read_text().replace("t3.small", "t3.large", 1))
    newer = Person(store, load_design(other), LEAD)
    assert newer.design.digest != flow.design.digest
    newer.record_run("staging", DocsSummary(), succeeded=True, artifact_path=str(folder / "index.html"))
    assert flow.design_documents("staging") is None  # drawn from another digest: not this design's documents
    assert newer.design_documents("staging") == folder


def test_a_lead_approves_the_latest_plan_from_the_page(server: TestClient, store: Store) -> None:
    flow = Person(store, load_design(WEBSHOP), LEAD)
    digest = "sha256:" + "ab" * 32
    flow.record_run("staging", PlanSummary(plan=digest, pending=3), succeeded=True)
    sign_in(server, DEV)
    page = server.get(STAGING)
    assert "3 change(s)" in page.text and "Approve plan" in page.text
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    refused = server.post(f"{STAGING}/plan-approval", data={"csrf": csrf, "digest": digest})
    assert refused.status_code == 403 and "may not approve a plan" in refused.text
    server.cookies.clear()
    sign_in(server, LEAD)
    csrf = server.get(STAGING).text.split('name="csrf" value="')[1].split('"')[0]
    done = server.post(f"{STAGING}/plan-approval", data={"csrf": csrf, "digest": digest}, follow_redirects=True)
    assert f"Approved by {LEAD}" in done.text
    assert flow.plan_approver(digest) == LEAD
