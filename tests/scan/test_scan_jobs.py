"""Regular scans: a scheduled scan runs on a worker, is recorded, and tells security about new high or
critical findings and about a scan that could not cover its endpoints (never a clean scan); from
deployment-testing on, an environment with endpoints gets a weekly scan schedule, once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from infragate.design import load_design
from infragate.jobs.runner import run_job
from infragate.jobs.schedules import fire_due
from infragate.settings import load_settings
from infragate.store import jobs as job_store
from infragate.store import open_store
from infragate.store.jobs import ensure_schedule
from infragate.workflow.gatekeeping import WEEKLY_CRON, WEEKLY_SCAN, weekly_scan
from infragate.workflow.roles import RoleError
from infragate.workflow.stages import Stage
from tests.support.acting import Person
from tests.support.people import seat_owners
from tests.support.servers import free_port
from tests.support.webhook import Webhook
from tests.support.workloads import Served, certificates, example_design


def scheduled(folder: Path, served: Served, webhook: Webhook) -> Path:
    design = example_design(
        folder,
        served,
        scan={"engine": "own", "rate": 500},
        schedules={"nightly-scan": {"kind": "scan", "cron": "* * * * *"}},
    )
    data = yaml.safe_load(design.read_text())
    data["project"]["notify"] = {"security": [webhook.url]}
    design.write_text(yaml.safe_dump(data, sort_keys=False))
    Person(open_store(load_settings()), load_design(design), "ci").register_project()
    return design


def fire() -> job_store.JobView:
    settings = load_settings()
    (job_id,) = fire_due(settings, datetime(2026, 11, 30, 2, 0, tzinfo=UTC), lambda job_id: run_job(settings, job_id))
    job = job_store.get(open_store(settings), job_id)
    assert job is not None
    return job


def test_a_scheduled_scan_tells_security_about_new_severe_findings(
    vulnerable: Served, webhook: Webhook, tmp_path: Path
) -> None:
    scheduled(tmp_path, vulnerable, webhook)
    job = fire()
    assert job.state == "succeeded" and job.result["complete"] and job.result["new_severe"] > 0
    assert [run["kind"] for run in job.result["runs"]] == ["scan"]  # the evidence the job recorded
    assert any("new high or critical finding" in m["message"] for m in webhook.received)


def test_a_scheduled_scan_that_cannot_reach_its_endpoint_is_reported_never_clean(
    webhook: Webhook, tmp_path: Path
) -> None:
    ca, _cert, _key = certificates(tmp_path / "certs")
    scheduled(tmp_path / "design", Served(free_port(), free_port(), ca), webhook)  # nothing listens there
    job = fire()
    assert job.result["complete"] is False
    assert job.result["uncovered"][0].startswith("https://staging.webshop.example.com/ (failed")
    assert any("the scheduled OWASP scan was incomplete" in m["message"] for m in webhook.received)


@pytest.mark.usefixtures("seated")
def test_deployment_testing_brings_a_weekly_scan_schedule_once(good: Served, tmp_path: Path) -> None:
    flow = Person(open_store(load_settings()), load_design(example_design(tmp_path, good)), "ci")
    settings = load_settings()
    with flow.store.session() as session:
        project = flow.register(session)
        weekly_scan(session, project, flow.design, "staging", Stage.PROVISIONING)  # too early: nothing yet
    assert [s.name for s in job_store.schedules(open_store(settings), "webshop")] == []
    for _ in range(2):
        with flow.store.session() as session:
            weekly_scan(session, flow.register(session), flow.design, "staging", Stage.DEPLOYMENT_TESTING)
    (weekly,) = job_store.schedules(open_store(settings), "webshop")
    assert (weekly.name, weekly.kind, weekly.cron, weekly.environment) == (WEEKLY_SCAN, "scan", WEEKLY_CRON, "staging")


def test_a_production_scan_schedule_is_securitys_and_runs_as_them(
    good: Served, webhook: Webhook, tmp_path: Path
) -> None:
    design = example_design(tmp_path, good, scan={"engine": "own", "rate": 500}, production=True)
    data = yaml.safe_load(design.read_text())
    data["project"]["notify"] = {"security": [webhook.url]}
    design.write_text(yaml.safe_dump(data, sort_keys=False))
    loaded = load_design(design)
    store = open_store(load_settings())
    seat_owners(store, loaded)  # this design's people, on this design's project
    with pytest.raises(RoleError, match="run a security scan against production"):
        Person(store, loaded, "lena.lead@example.com").add_schedule("staging", "weekly-scan", "scan", "* * * * *")
    Person(store, loaded, "ci").register_project()
    with store.session() as session:  # what deployment-testing brings: made by infragate, not by a person
        ensure_schedule(
            session, project="webshop", environment="staging", name="weekly-scan", kind="scan", cron="* * * * *"
        )
    refused = fire()
    assert refused.state == "failed" and "runs only from a schedule that security made" in refused.result["error"]
    assert any("could not run" in m["message"] for m in webhook.received)  # security is told, with the way out

    Person(store, loaded, "sam.sec@example.com").add_schedule("staging", "weekly-scan", "scan", "* * * * *")
    (made,) = job_store.schedules(store, "webshop")
    assert made.created_by == "sam.sec@example.com"
    settings = load_settings()
    (job_id,) = fire_due(settings, datetime(2026, 11, 30, 2, 1, tzinfo=UTC), lambda job_id: run_job(settings, job_id))
    job = job_store.get(store, job_id)
    assert job is not None and job.state == "succeeded" and job.result["complete"]


@pytest.mark.usefixtures("seated")
def test_a_lead_schedules_a_staging_scan_and_a_malformed_schedule_is_refused_plainly() -> None:
    from infragate.errors import UsageError
    from tests.conftest import WEBSHOP

    lead = Person(open_store(load_settings()), load_design(WEBSHOP), "lena.lead@example.com")
    with pytest.raises(UsageError, match="cron 'every monday' is not five cron fields"):
        lead.add_schedule("staging", "weekly", "scan", "every monday")
    with pytest.raises(UsageError, match="kind 'nuke' is not drift, verify, audit or scan"):
        lead.add_schedule("staging", "weekly", "nuke", "0 3 * * 1")
    lead.add_schedule("staging", "weekly", "scan", "0 3 * * 1")
    (made,) = job_store.schedules(open_store(load_settings()), "webshop")
    assert (made.name, made.kind, made.created_by) == ("weekly", "scan", "lena.lead@example.com")
