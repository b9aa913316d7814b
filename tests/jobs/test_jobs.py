"""Jobs, workers and schedules on the real queues (SQLite, and Redis at 127.0.0.1:6379) against embedded AWS:
a job runs the same in-process and through a worker, cancel stops it, a schedule fires and notifies, and a
worker killed mid-job never leaves its job running for ever."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select, update

from infragate.aws import AwsConnection, EmbeddedAws
from infragate.design import load_design
from infragate.jobs.runner import reap, run_job
from infragate.jobs.schedules import fire_due, matches
from infragate.settings import load_settings
from infragate.store import Store, open_store
from infragate.store import jobs as job_store
from infragate.store.schema import Job, Run
from infragate.workflow.job_requests import CancelJob
from tests.conftest import WEBSHOP, deep_merge
from tests.support.acting import Person
from tests.support.cli import run_infragate
from tests.support.jobs import submit
from tests.support.webhook import Webhook

REDIS = "redis://127.0.0.1:6379/15"
QUEUES = {"sqlite": None, "redis": REDIS}


@pytest.fixture
def home(embedded: EmbeddedAws, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The session's embedded AWS home, and the webshop project registered in the test's store."""
    monkeypatch.setenv("INFRAGATE_HOME", str(embedded.home))
    Person(open_store(load_settings()), load_design(WEBSHOP), "lena.lead@example.com").register_project()
    return embedded.home


@pytest.fixture
def start_worker(home: Path) -> Iterator[Any]:
    started: list[subprocess.Popen[str]] = []

    def start(queue_url: str | None) -> subprocess.Popen[str]:
        env = {**os.environ, "INFRAGATE_HOME": str(home), "INFRAGATE_JOB_LEASE": "2"}
        env.pop("INFRAGATE_QUEUE_URL", None)
        if queue_url:
            import redis

            redis.Redis.from_url(queue_url).flushdb()  # no job ids left over from an earlier run
            env["INFRAGATE_QUEUE_URL"] = queue_url
        worker = subprocess.Popen(
            [sys.executable, "-m", "infragate", "worker"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.poll() is None:
            worker.send_signal(signal.SIGINT)
            try:
                worker.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()


def _wait(store: Store, job_id: int, states: tuple[str, ...], timeout: float = 120) -> job_store.JobView:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = job_store.get(store, job_id)
        if job is not None and job.state in states:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} never reached {states}: {job_store.get(store, job_id)}")


@pytest.mark.parametrize("queue", sorted(QUEUES))
def test_a_job_runs_the_same_in_process_and_through_a_worker(
    aws: AwsConnection, home: Path, start_worker: Any, queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = submit(load_settings(), project="webshop", environment="staging", kind="audit", requested_by="ci", here=True)
    assert here.state == "succeeded" and here.result["failing"] > 0, "an unprovisioned environment fails INV-002"
    if QUEUES[queue]:
        monkeypatch.setenv("INFRAGATE_QUEUE_URL", QUEUES[queue])
    start_worker(QUEUES[queue])
    queued = submit(load_settings(), project="webshop", environment="staging", kind="audit", requested_by="ci")
    store = Store(os.environ["INFRAGATE_DATABASE_URL"])
    done = _wait(store, queued.id, ("succeeded", "failed"))
    assert done.state == "succeeded" and done.result["failing"] == here.result["failing"]
    assert done.result["runs"][0]["run"] != here.result["runs"][0]["run"], "each job links the run it recorded"
    assert here.result["new_severe"] > 0 and done.result["new_severe"] == 0, "the second audit found nothing new"
    assert done.worker != here.worker, "a different process ran it"
    assert [kind for _, kind, _ in job_store.events(store, queued.id)].count("progress") >= 1
    assert [(link["kind"], link["status"]) for link in done.result["runs"]] == [("audit", "succeeded")]


def test_cancel_stops_a_running_apply_as_ctrl_c_would(aws: AwsConnection, home: Path, start_worker: Any) -> None:
    start_worker(None)
    settings = load_settings()
    job = submit(
        settings, project="webshop", environment="staging", kind="apply", requested_by="ci", params={"parallelism": 1}
    )
    store = Store(os.environ["INFRAGATE_DATABASE_URL"])
    _wait(store, job.id, ("running",), timeout=60)
    asked = Person(open_store(load_settings()), load_design(WEBSHOP), "ci").do(CancelJob(job_id=job.id))
    assert asked.state == "running"  # asked to stop: it stops between two changes
    final = _wait(store, job.id, ("cancelled", "failed", "succeeded"))
    assert final.state == "cancelled" and final.result["interrupted"] is True
    with store.session() as session:
        runs = [r.status for r in session.scalars(select(Run).where(Run.kind == "apply"))]
    assert runs == ["interrupted"]


def test_only_the_requester_a_lead_or_an_admin_may_cancel(home: Path, seated: None) -> None:
    job = submit(load_settings(), project="webshop", environment="staging", kind="verify", requested_by="ci")
    refused = run_infragate(home, "jobs", "cancel", str(job.id), user="dara.dev@example.com")
    assert refused.returncode == 2 and "may not cancel" in refused.stderr
    lead = run_infragate(home, "jobs", "cancel", str(job.id), user="lena.lead@example.com")
    assert lead.returncode == 0 and "cancelled" in lead.stdout
    assert job_store.get(Store(os.environ["INFRAGATE_DATABASE_URL"]), job.id).state == "cancelled"  # type: ignore[union-attr]


def test_the_cli_asks_for_jobs_through_the_use_case_that_checks_roles(home: Path, seated: None) -> None:
    design = ("-d", str(WEBSHOP))
    refused = run_infragate(home, "jobs", "submit", "apply", "--env", "staging", *design, user="dara.dev@example.com")
    assert refused.returncode == 2 and "may not ask for an apply job" in refused.stderr
    queued = run_infragate(home, "jobs", "submit", "audit", "--env", "staging", *design, user="dara.dev@example.com")
    assert queued.returncode == 0 and "queued: audit of webshop/staging" in queued.stdout
    jobs = job_store.listing(Store(os.environ["INFRAGATE_DATABASE_URL"]), "webshop")
    assert [(j.kind, j.requested_by) for j in jobs] == [("audit", "dara.dev@example.com")]


def test_a_schedule_fires_once_per_minute_and_notifies_the_accountable_people(
    aws: AwsConnection, home: Path, webhook: Webhook, tmp_path: Path
) -> None:
    data = deep_merge(
        yaml.safe_load(WEBSHOP.read_text()),
        {
            "project": {"notify": {"security": [webhook.url]}},
            "environments": {"staging": {"schedules": {"every-minute": {"kind": "audit", "cron": "* * * * *"}}}},
        },
    )
    design_file = tmp_path / "infragate.yaml"
    design_file.write_text(yaml.safe_dump(data, sort_keys=False))
    Person(open_store(load_settings()), load_design(design_file), "ci").register_project()
    settings = load_settings()
    now = datetime(2026, 11, 27, 3, 0, 17, tzinfo=UTC)
    fired = fire_due(settings, now, lambda job_id: run_job(settings, job_id))
    assert len(fired) == 1 and fire_due(settings, now, lambda _: None) == [], "once per minute, however many tick"
    job = job_store.get(Store(os.environ["INFRAGATE_DATABASE_URL"]), fired[0])
    assert job is not None and job.state == "succeeded" and job.schedule_id is not None
    assert job.result["new_severe"] > 0, "the unprovisioned environment's INV-002 findings are new and high"
    assert webhook.received, "security was told through Apprise"
    message = webhook.received[0]
    assert "new high or critical finding" in message["message"] and "webshop/staging" in message["title"]


def test_cron_expressions_match_minutes() -> None:
    moment = datetime(2026, 11, 27, 3, 0)
    assert matches("0 3 * * *", moment) and not matches("0 4 * * *", moment)
    assert matches("*/15 * * * *", moment) and not matches("*/7 1-2 * * *", moment)


def test_a_dead_workers_job_fails_or_is_retried_never_running_for_ever(home: Path) -> None:
    store = Store(os.environ["INFRAGATE_DATABASE_URL"])
    apply = submit(load_settings(), project="webshop", environment="staging", kind="apply", requested_by="ci")
    audit = submit(load_settings(), project="webshop", environment="staging", kind="audit", requested_by="ci")
    silent = datetime.now(UTC) - timedelta(minutes=5)
    with store.session() as session:  # both were running on a worker that was killed five minutes ago
        session.execute(update(Job).values(state="running", heartbeat_at=silent, worker="gone pid 1", attempts=1))
    queued: list[int] = []
    dead = reap(load_settings(), queued.append)
    assert {job.id for job in dead} == {apply.id, audit.id}
    assert job_store.get(store, apply.id).state == "failed"  # type: ignore[union-attr]
    assert "died mid-job" in job_store.get(store, apply.id).result["error"]  # type: ignore[union-attr]
    assert queued == [audit.id] and job_store.get(store, audit.id).state == "queued"  # type: ignore[union-attr]


def test_a_worker_killed_mid_job_is_noticed(aws: AwsConnection, home: Path, start_worker: Any) -> None:
    worker = start_worker(None)
    settings = load_settings()
    job = submit(
        settings, project="webshop", environment="staging", kind="apply", requested_by="ci", params={"parallelism": 1}
    )
    store = Store(os.environ["INFRAGATE_DATABASE_URL"])
    _wait(store, job.id, ("running",))
    worker.kill()
    worker.communicate(timeout=10)
    time.sleep(2.5)  # longer than the worker's 2-second lease
    os.environ["INFRAGATE_JOB_LEASE"] = "2"
    try:
        reap(load_settings(), lambda _: None)
    finally:
        del os.environ["INFRAGATE_JOB_LEASE"]
    assert job_store.get(store, job.id).state == "failed"  # type: ignore[union-attr]
