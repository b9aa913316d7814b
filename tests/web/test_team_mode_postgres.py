"""Team mode end to end, as a team runs it: the server on PostgreSQL, jobs on the Redis queue, a worker in
its own process on embedded AWS, and people using the CLI logged in to the server (which never opens the
database itself)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from infragate.aws import AwsConnection
from infragate.aws.embedded import EmbeddedAws
from infragate.design import load_design
from infragate.settings import load_settings
from infragate.store import Store, audit_log
from infragate.store import jobs as job_store
from infragate.store.checkpoints import Signer
from infragate.web.app import create_app
from infragate.workflow.accounts import set_password
from infragate.workflow.context import UnitOfWork
from tests.conftest import WEBSHOP
from tests.support.people import seat_owners
from tests.support.servers import serving
from tests.web.conftest import DEV, PASSWORD
from tests.web.test_team_mode import cli, login

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dinfragate_team"
REDIS = "redis://127.0.0.1:6379/14"


@pytest.fixture
def team_store(tmp_path: Path) -> Iterator[Store]:
    engine = sa.create_engine(POSTGRES)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA IF EXISTS infragate_team CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA infragate_team"))
    engine.dispose()
    store = Store(POSTGRES, signer=Signer(tmp_path / "keys" / "audit.pem"))
    store.upgrade()
    seat_owners(store, load_design(WEBSHOP))
    set_password(store, None, DEV, PASSWORD)
    redis.Redis.from_url(REDIS).flushdb()
    yield store
    store.engine.dispose()


@pytest.fixture
def team_server(team_store: Store, embedded: EmbeddedAws, aws: AwsConnection) -> Iterator[str]:
    """The server, and a worker, on an emptied embedded account (so the audit finds the unprovisioned project)."""
    settings = replace(load_settings(), home=embedded.home, database_url=POSTGRES, queue_url=REDIS)
    with serving(create_app(UnitOfWork(team_store, settings))) as address:
        worker = subprocess.Popen(
            [sys.executable, "-m", "infragate", "worker"],
            env={
                **os.environ,
                "INFRAGATE_HOME": str(embedded.home),
                "INFRAGATE_DATABASE_URL": POSTGRES,
                "INFRAGATE_QUEUE_URL": REDIS,
                "INFRAGATE_AUDIT_KEY": str(team_store.signer.key_file if team_store.signer else ""),
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            yield address
        finally:
            worker.send_signal(signal.SIGINT)
            try:
                worker.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()


def test_a_developer_asks_for_an_audit_and_follows_it_to_the_end(
    team_server: str, team_store: Store, tmp_path: Path
) -> None:
    dev = login(team_server, tmp_path, DEV)
    done = cli(dev, "jobs", "submit", "audit", "--env", "staging", "-p", "webshop", "--wait")
    # the job ran to its end, and the audit of a never-applied staging fails (INV-002): so does the step waiting
    assert done.returncode == 1 and "ran to its end, and" in done.stderr and "failing" in done.stderr, done.stderr
    assert "reading ec2" in done.stdout and "succeeded" in done.stdout  # progress streamed from the worker
    (job,) = job_store.listing(team_store, "webshop")
    assert (job.state, job.requested_by) == ("succeeded", DEV) and job.worker  # run by the worker process
    assert job.result["runs"][0]["kind"] == "audit"
    with team_store.session() as session:
        actions = [(entry.actor, entry.action) for entry in audit_log.entries(session)]
    assert (DEV, "login") in actions and (DEV, "job-requested") in actions
    listed = cli(dev, "findings", "list", "-p", "webshop", "--env", "staging")
    assert listed.returncode == 0 and "INV-002" in listed.stdout  # the audit's findings, read through the API
