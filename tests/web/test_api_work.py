"""The API's work endpoints: jobs asked for by the right roles and followed as server-sent events, plan
approvals, what changed since the approved design, runs, and users managed by admins only."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import yaml
from fastapi.testclient import TestClient

from infragate.design import load_design
from infragate.settings import load_settings
from infragate.store import Store, audit_log
from infragate.store import jobs as job_store
from infragate.web.app import create_app
from infragate.workflow.context import UnitOfWork
from tests.conftest import WEBSHOP
from tests.support.acting import Person
from tests.support.people import ADMIN, seat_owners
from tests.web.conftest import DEV, INFRA, LEAD, SECURITY, sign_in
from tests.web.test_api import PROBLEM, token_for

JOBS = "/api/v1/projects/webshop/environments/staging/jobs"


def bearer(server: TestClient, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(server, who)}"}


def test_people_working_on_a_project_ask_for_checks_and_only_lead_or_infra_for_an_apply(
    server: TestClient, store: Store
) -> None:
    dev, infra = bearer(server, DEV), bearer(server, INFRA)
    verify = server.post(JOBS, headers=dev, json={"kind": "verify"})
    assert verify.status_code == 202, verify.text
    assert verify.json()["state"] == "queued" and verify.json()["requested_by"] == DEV
    refused = server.post(JOBS, headers=dev, json={"kind": "apply"})
    assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM
    assert "apply" in refused.json()["detail"] and "infra or lead" in refused.json()["detail"]
    assert server.post(JOBS, headers=infra, json={"kind": "apply"}).status_code == 202
    assert server.post(JOBS, headers=dev, json={"kind": "mine"}).status_code == 422
    with store.session() as session:
        actions = [(e.actor, e.action) for e in audit_log.entries(session)]
    assert (DEV, "job-requested") in actions and (DEV, "refused") in actions and (INFRA, "job-requested") in actions
    listed = server.get("/api/v1/projects/webshop/jobs", headers=dev).json()
    assert [j["kind"] for j in listed["items"]] == ["apply", "verify"] and listed["total"] == 2


def test_jobs_of_one_project_are_invisible_from_another(server: TestClient, store: Store, tmp_path: Path) -> None:
    other = _other_project(store, tmp_path)
    job = job_store.create(store, project="payroll", environment="staging", kind="audit", requested_by=other)
    dev = bearer(server, DEV)
    # to someone with no role on payroll, its job does not exist (an id says nothing about other clients)
    assert server.get(f"/api/v1/jobs/{job.id}", headers=dev).status_code == 404
    assert server.get(f"/api/v1/jobs/{job.id}/events", headers=dev).status_code == 404
    assert server.post(f"/api/v1/jobs/{job.id}/cancellation", headers=dev).status_code == 404
    assert server.get("/api/v1/projects/payroll/jobs", headers=dev).status_code == 403


def test_a_job_is_followed_as_server_sent_events_until_it_ends_and_resumes_where_it_left(store: Store) -> None:
    server = TestClient(create_app(UnitOfWork(store, load_settings()), follow_seconds=30), base_url="http://127.0.0.1")
    dev = bearer(server, DEV)
    job_id = server.post(JOBS, headers=dev, json={"kind": "audit"}).json()["id"]
    job_store.event(store, job_id, "progress", "reading ec2")

    def finish_later() -> None:
        job_store.event(store, job_id, "log", "audit: 3 findings")
        job_store.finish(store, job_id, "succeeded", {"failing": 0})

    timer = threading.Timer(1.0, finish_later)  # the job ends while the client is listening
    timer.start()
    url = f"/api/v1/jobs/{job_id}/events"
    with server.stream("GET", url, headers=dev) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        body = stream.read().decode()
    timer.join()
    events = _parse(body)
    assert [e["event"] for e in events] == ["progress", "log", "end"]
    assert json.loads(events[0]["data"])["message"] == "reading ec2"
    assert json.loads(events[-1]["data"])["state"] == "succeeded"
    with server.stream("GET", url, headers={**dev, "Last-Event-ID": "1"}) as again:
        resumed = _parse(again.read().decode())
    assert [e["event"] for e in resumed] == ["log", "end"]  # only what came after event 1
    log = server.get(f"/api/v1/jobs/{job_id}/log", headers=dev).json()
    assert [e["message"] for e in log] == ["reading ec2", "audit: 3 findings"]


def _parse(body: str) -> list[dict[str, str]]:
    events = []
    for block in body.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            events.append(fields)
    return events


def test_the_requester_or_a_lead_cancels_a_job_and_a_developer_may_not_cancel_others(server: TestClient) -> None:
    dev, sec, lead = bearer(server, DEV), bearer(server, SECURITY), bearer(server, LEAD)
    job_id = server.post(JOBS, headers=dev, json={"kind": "verify"}).json()["id"]
    cancel = f"/api/v1/jobs/{job_id}/cancellation"
    assert server.post(cancel, headers=sec).status_code == 403
    cancelled = server.post(cancel, headers=lead)
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"


def test_plans_are_approved_by_digest_by_the_lead_only(server: TestClient) -> None:
    url = "/api/v1/projects/webshop/environments/staging/plan-approvals"
    digest = "sha256:" + "ab" * 32
    assert server.post(url, headers=bearer(server, DEV), json={"digest": digest}).status_code == 403
    assert server.post(url, headers=bearer(server, LEAD), json={"digest": digest}).json() == {"result": "approved"}
    assert server.post(url, headers=bearer(server, LEAD), json={"digest": "latest"}).status_code == 422


def test_design_changes_show_the_diff_since_the_lead_approved(store: Store, tmp_path: Path) -> None:
    design_file = tmp_path / "infragate.yaml"
    design_file.write_text(WEBSHOP.read_text())
    before = Person(store, load_design(design_file), LEAD)
    unapproved = before.design_changes("staging")
    assert unapproved.approved_digest is None and unapproved.changed
    before.approve_design("staging", "reviewed")
    assert Person(store, load_design(design_file), DEV).design_changes("staging").diff == []
    data = yaml.safe_load(design_file.read_text())
    data["project"]["description"] = "Now with a second region"
    design_file.write_text(yaml.safe_dump(data, sort_keys=False))
    changes = Person(store, load_design(design_file), DEV).design_changes("staging")
    assert changes.changed and changes.approved_by == LEAD
    assert any(line.startswith("+") and "second region" in line for line in changes.diff)
    assert not any(line.startswith("-") and "second region" in line for line in changes.diff)


def test_runs_are_listed_for_members(server: TestClient) -> None:
    response = server.get("/api/v1/projects/webshop/runs?environment=staging", headers=bearer(server, DEV))
    assert response.status_code == 200 and response.json() == []
    unknown = server.get("/api/v1/projects/webshop/runs?environment=moon", headers=bearer(server, DEV))
    assert unknown.status_code == 400 and "moon" in unknown.json()["detail"]


def test_admins_add_users_and_reset_passwords_and_nobody_else_can(server: TestClient) -> None:
    admin, lead = bearer(server, ADMIN), bearer(server, LEAD)
    assert server.get("/api/v1/users", headers=lead).status_code == 403
    assert server.post("/api/v1/users", headers=lead, json={"name": "eve@example.com"}).status_code == 403
    made = server.post("/api/v1/users", headers=admin, json={"name": "nina.new@example.com"})
    assert made.status_code == 201 and made.json() == {"name": "nina.new@example.com", "admin": False, "projects": {}}
    names = {u["name"] for u in server.get("/api/v1/users", headers=admin).json()}
    assert {"nina.new@example.com", LEAD} <= names
    reset = "/api/v1/users/nina.new@example.com/password"
    assert server.put(reset, headers=lead, json={"password": "x" * 16}).status_code == 403
    assert server.put(reset, headers=admin, json={"password": "a new long password"}).status_code == 200
    sign_in(server, "nina.new@example.com", "a new long password")
    assert server.get("/api/v1/me").json()["name"] == "nina.new@example.com"


def _other_project(store: Store, folder: Path) -> str:
    data = yaml.safe_load(WEBSHOP.read_text())
    people = {role: [f"{role}@other.example"] for role in ("lead", "infra", "developer", "security")}
    data["project"] |= {"name": "payroll", "client": "Other Co", "owners": people}
    path = folder / "payroll.yaml"
    path.write_text(yaml.safe_dump(data))
    seat_owners(store, load_design(path))
    return "lead@other.example"


def test_an_id_no_row_can_have_is_refused_as_input_never_sent_to_the_database(server: TestClient) -> None:
    """Schemathesis found a job id past 64 bits answered 500 (SQLite overflowed): ids are bounded on input."""
    dev = bearer(server, DEV)
    huge = 2**63
    for method, path in (
        ("GET", f"/api/v1/jobs/{huge}"),
        ("GET", f"/api/v1/jobs/{huge}/events"),
        ("GET", f"/api/v1/jobs/{huge}/log"),
        ("POST", f"/api/v1/jobs/{huge}/cancellation"),
        ("GET", "/api/v1/jobs/0"),
    ):
        answer = server.request(method, path, headers=dev)
        assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM, (path, answer.text)
    assert server.get(f"/api/v1/jobs/{2**63 - 1}", headers=dev).status_code == 404  # the largest id is an id
