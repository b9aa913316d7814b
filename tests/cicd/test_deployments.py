"""Team mode, end to end: the real server receives signed webhooks from the fake CircleCI and GitHub, and
ICP-3.1 is met on that evidence alone. Forged, unsigned, stale and replayed deliveries change nothing."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from infragate.design import load_design
from infragate.settings import load_settings
from infragate.store import Store
from infragate.store.checkpoints import Signer
from infragate.web.app import create_app
from infragate.workflow.accounts import create_token
from infragate.workflow.context import UnitOfWork
from infragate.workflow.gates import Criterion
from infragate.workflow.records import ChangesSummary
from tests.conftest import WEBSHOP
from tests.support.acting import Person
from tests.support.fake_circleci import SLUG, FakeCircleCI, Job, send_circleci
from tests.support.fake_circleci import TOKEN as CIRCLECI_TOKEN
from tests.support.fake_github import TOKEN as GITHUB_TOKEN
from tests.support.fake_github import FakeGitHub, send_github
from tests.support.people import seat_owners
from tests.support.servers import serving

LEAD, DEV = "lena.lead@example.com", "dara.dev@example.com"
GITHUB_SECRET, CIRCLECI_SECRET = "gh-webhook-secret-for-tests", "cci-webhook-secret-for-tests"
SHA = "1285fe1c2d9a4b3e8f7a6b5c4d3e2f1a0b9c8d7e"
STAGING_JOBS = [Job("test"), Job("validate-design"), Job("deploy-staging")]
BEFORE_PRODUCTION = [*STAGING_JOBS, Job("infra-test-staging"), Job("stress-staging"), Job("scan-staging")]


@dataclass
class Team:
    store: Store
    url: str
    circleci: FakeCircleCI
    github: FakeGitHub

    def flow(self, user: str = LEAD) -> Person:
        return Person(self.store, load_design(WEBSHOP), user)

    def criterion(self, environment: str) -> Criterion:
        report = self.flow().gate_report(environment)
        return next(c for group in report.results.values() for c in group if c.clause == "ICP-3.1")

    def deploys(self, environment: str) -> int:
        return len(self.flow().runs(environment, kind="deploy"))


@pytest.fixture
def team(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Team]:
    store = Store(f"sqlite:///{tmp_path / 'server.db'}", signer=Signer(tmp_path / "keys" / "audit.pem"))
    store.upgrade()
    design = load_design(WEBSHOP)
    seat_owners(store, design)
    for environment in ("staging", "production"):
        Person(store, design, LEAD).record_run(environment, ChangesSummary(plan="sha256:x"), succeeded=True)
    settings = dataclasses.replace(
        load_settings(), github_webhook_secret=GITHUB_SECRET, circleci_webhook_secret=CIRCLECI_SECRET
    )
    circleci, github = FakeCircleCI(hook_secret=CIRCLECI_SECRET), FakeGitHub(hook_secret=GITHUB_SECRET)
    with (
        serving(create_app(UnitOfWork(store, settings))) as url,
        serving(circleci.app()) as cci,
        serving(github.app()) as gh,
    ):
        circleci.hook_url, github.hook_url = f"{url}/webhooks/circleci", f"{url}/webhooks/github"
        monkeypatch.setenv("INFRAGATE_CIRCLECI_TOKEN", CIRCLECI_TOKEN)
        monkeypatch.setenv("INFRAGATE_CIRCLECI_URL", f"{cci}/api/v2")
        monkeypatch.setenv("INFRAGATE_GITHUB_TOKEN", GITHUB_TOKEN)
        monkeypatch.setenv("INFRAGATE_GITHUB_URL", gh)
        yield Team(store, url, circleci, github)
    store.engine.dispose()


def test_a_signed_pipeline_run_meets_icp_3_1_for_staging(team: Team) -> None:
    assert not team.criterion("staging").met
    assert team.criterion("staging").detail.startswith("no deployment recorded")
    team.flow().approve_design("staging")
    team.circleci.run(SHA, STAGING_JOBS)
    assert [r.status_code for r in team.circleci.delivered] == [200, 200, 200, 200]
    assert [r.json()["outcome"] for r in team.circleci.delivered] == ["kept", "kept", "recorded", "kept"]
    staging = team.criterion("staging")
    assert staging.met, staging.detail
    assert staging.detail.startswith(f"{SHA[:12]} (circleci,") and "after test, validate-design" in staging.detail
    [deployment] = team.flow().runs("staging", kind="deploy")
    summary = deployment.summary
    assert summary["sha"] == SHA and summary["actor"] == "Dara Dev" and summary["ref"] == "main"
    assert summary["url"].startswith("https://app.circleci.com/pipelines/")
    assert summary["approved_digest"] == load_design(WEBSHOP).digest  # the design a lead had approved then
    assert not team.criterion("production").met  # a staging deploy says nothing about production


def test_forged_unsigned_stale_and_replayed_deliveries_are_refused(team: Team) -> None:
    hook = team.circleci.hook_url
    body = team.circleci.event("job-completed", _workflow(team), SHA, "main", SLUG, Job("deploy-staging"), 3)
    forged = send_circleci(hook, "not-the-secret", body)
    unsigned = send_circleci(hook, CIRCLECI_SECRET, body, signature="")
    tampered = send_circleci(hook, CIRCLECI_SECRET, body.replace(b'"success"', b'"failed"'),
                             signature=send_signature(body))  # fmt: skip
    assert [r.status_code for r in (forged, unsigned, tampered)] == [401, 401, 401]
    assert "does not verify" in forged.json()["detail"] and "not signed" in unsigned.json()["detail"]
    stale_event = json.loads(body)
    stale_event["happened_at"] = "2026-01-01T00:00:00Z"
    stale = send_circleci(hook, CIRCLECI_SECRET, json.dumps(stale_event).encode())
    assert stale.status_code == 401 and "stale" in stale.json()["detail"]
    assert team.deploys("staging") == 0
    first = send_circleci(hook, CIRCLECI_SECRET, body)
    again = send_circleci(hook, CIRCLECI_SECRET, body)
    assert (first.status_code, again.status_code) == (200, 409)
    assert "received before" in again.json()["detail"]
    assert team.deploys("staging") == 1
    # GitHub: the same delivery id again, even with a body signed anew, is a replay; so is the same body anew.
    gh_hook = team.github.hook_url
    status = {"id": 9, "state": "success", "environment": "staging", "updated_at": _now()}
    event = json.dumps({"deployment_status": status, "deployment": {"id": 1, "sha": SHA, "environment": "staging"},
                        "repository": {"full_name": "acme/webshop"}}).encode()  # fmt: skip
    assert send_github(gh_hook, GITHUB_SECRET, event, delivery="d-1").status_code == 200
    assert (
        send_github(gh_hook, GITHUB_SECRET, event.replace(b'"id": 9', b'"id": 10'), delivery="d-1").status_code == 409
    )
    assert send_github(gh_hook, GITHUB_SECRET, event, delivery="d-2").status_code == 409
    assert send_github(gh_hook, "wrong", event, delivery="d-3").status_code == 401
    refused = [e for e in _audit(team) if e["action"] == "webhook-refused"]
    assert len(refused) == 8  # every refusal is in the audit log


def test_a_deploy_whose_pipeline_skipped_a_stage_or_failed_does_not_count(team: Team) -> None:
    team.circleci.run(SHA, [Job("test"), Job("deploy-staging")])  # no design validation
    skipped = team.criterion("staging")
    assert not skipped.met and "was not seen to pass validate-design" in skipped.detail
    team.circleci.run("a" * 40, [Job("test"), Job("validate-design"), Job("deploy-staging", "failed")])
    failed = team.criterion("staging")
    assert (
        not failed.met
        and failed.detail.startswith(f"the latest deployment, of {'a' * 12}")
        and "failed" in failed.detail
    )


def test_an_apply_after_the_deploy_asks_for_a_new_one(team: Team) -> None:
    team.circleci.run(SHA, STAGING_JOBS)
    assert team.criterion("staging").met
    time.sleep(0.01)  # the apply must come strictly later than the deploy it outdates (store times)
    team.flow().record_run("staging", ChangesSummary(plan="sha256:y"), succeeded=True)
    assert "before the last apply" in team.criterion("staging").detail


def test_production_needs_the_approval_that_only_the_circleci_api_shows(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs = [*BEFORE_PRODUCTION, Job("hold-production", type="approval"), Job("deploy-production")]
    monkeypatch.delenv("INFRAGATE_CIRCLECI_TOKEN")  # webhooks alone: approval jobs send none
    team.circleci.run(SHA, jobs)
    blind = team.criterion("production")
    assert not blind.met and "hold-production" in blind.detail and "seen by webhooks)" in blind.detail
    monkeypatch.setenv("INFRAGATE_CIRCLECI_TOKEN", CIRCLECI_TOKEN)
    team.circleci.rate_limit_next = 1  # and the API answers 429 once
    team.circleci.run("b" * 40, jobs)
    production = team.criterion("production")
    assert production.met, production.detail
    assert "hold-production" in production.detail


def test_the_pipelines_report_becomes_a_github_deployment_whose_webhook_is_recorded(team: Team) -> None:
    team.circleci.run(SHA, [Job("test"), Job("validate-design")])  # the checks; the deploy job reports itself
    _, token = create_token(team.store, DEV, "circleci-webshop", projects=["webshop"], roles=["developer"], days=1)
    api = httpx.Client(base_url=f"{team.url}/api/v1", headers={"Authorization": f"Bearer {token}"})
    step = "/projects/webshop/environments/staging/deployment-steps"
    started = api.post(step, json={"sha": SHA, "state": "in_progress", "url": "https://ci.example/1"})
    assert started.status_code == 200, started.text
    done = api.post(step, json={"sha": SHA, "state": "success", "url": "https://ci.example/1"}).json()
    assert done["github_deployment"] == started.json()["github_deployment"]  # one deployment, two statuses
    assert [s["state"] for s in team.github.statuses] == ["in_progress", "success"]
    _wait_for(lambda: len(team.github.delivered) == 2)
    assert team.github.delivered == [200, 200]
    staging = team.criterion("staging")
    assert staging.met and "(github," in staging.detail and f"by {DEV}" in staging.detail, staging.detail
    bad = api.post(step, json={"sha": SHA, "state": "deployed"})
    assert bad.status_code == 400 and "not a deployment state" in bad.json()["detail"]
    client_token = create_token(team.store, LEAD, "x", projects=["webshop"], roles=["security"], days=1)[1]
    refused = httpx.post(f"{team.url}/api/v1{step}", json={"sha": SHA, "state": "success"},
                         headers={"Authorization": f"Bearer {client_token}"})  # fmt: skip
    assert refused.status_code == 403  # a token scoped to another role may not report deployments


def test_deliveries_for_unknown_repositories_are_kept_but_ignored(team: Team) -> None:
    body = team.circleci.event("job-completed", _workflow(team), SHA, "main", "gh/other/repo", Job("deploy-staging"))
    answer = send_circleci(team.circleci.hook_url, CIRCLECI_SECRET, body)
    assert answer.status_code == 200 and answer.json()["outcome"] == "ignored"
    hello = b'{"zen": "hi", "repository": {"full_name": "acme/webshop"}}'
    ping = send_github(team.github.hook_url, GITHUB_SECRET, hello, event="ping")
    assert ping.status_code == 200 and ping.json()["outcome"] == "kept"
    other = send_github(team.github.hook_url, GITHUB_SECRET, b"{}", event="push")
    assert other.status_code == 401 and "not one infragate records" in other.json()["detail"]
    assert team.deploys("staging") == 0


def test_the_environment_page_shows_deployments(team: Team) -> None:
    from infragate.workflow.accounts import set_password

    team.circleci.run(SHA, STAGING_JOBS)
    set_password(team.store, None, LEAD, "correct horse battery staple")
    with httpx.Client(base_url=team.url) as browser:
        browser.post("/login", data={"name": LEAD, "password": "correct horse battery staple"})
        page = browser.get("/projects/webshop/environments/staging").text
    assert "Deployments (ICP-3.1)" in page and SHA[:12] in page and "test, validate-design" in page


def _workflow(team: Team) -> dict[str, object]:
    return {"id": "w-1", "name": "policy", "status": "success", "created_at": _now(), "stopped_at": _now(),
            "url": "https://app.circleci.com/x"}  # fmt: skip


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat()


def send_signature(body: bytes) -> str:
    from infragate.cicd.signatures import circleci_signature

    return circleci_signature(CIRCLECI_SECRET, body)


def _audit(team: Team) -> list[dict[str, object]]:
    from sqlalchemy import select

    from infragate.store.schema import AuditLogEntry

    with team.store.session() as session:
        return [{"action": e.action, "detail": e.detail} for e in session.scalars(select(AuditLogEntry))]


def _wait_for(condition: object, deadline_s: float = 30.0) -> None:
    """Until the fake GitHub's webhook thread has delivered (no assertion on how long it took)."""
    end = time.monotonic() + deadline_s
    while not condition() and time.monotonic() < end:  # type: ignore[operator]
        time.sleep(0.02)
