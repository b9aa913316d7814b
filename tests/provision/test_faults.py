"""Failures during apply: injected AWS errors and a killed process; the next apply converges, no duplicates."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from botocore.exceptions import ClientError
from sqlalchemy import select

from infragate.aws import AwsConnection, EmbeddedAws
from infragate.design import load_design
from infragate.provision import service
from infragate.provision.executor import Status
from infragate.store import Store
from infragate.store import locks as env_locks
from infragate.store.schema import AuditLogEntry, Run
from tests.conftest import WEBSHOP
from tests.provision.test_lifecycle import ENV, apply_design

DESIGN = load_design(WEBSHOP)


def _tagged(aws: AwsConnection, resource: str, key: str) -> list[Any]:
    filters = [{"Name": "tag:infragate:project", "Values": ["webshop"]}, {"Name": "tag:infragate:env", "Values": [ENV]}]
    if resource == "describe_instances":
        filters.append({"Name": "instance-state-name", "Values": ["pending", "running"]})
        reservations = aws.call("ec2", resource, Filters=filters)["Reservations"]
        return [i for r in reservations for i in r["Instances"]]
    return list(aws.call("ec2", resource, Filters=filters)[key])


def _assert_no_duplicates(aws: AwsConnection) -> None:
    assert len(_tagged(aws, "describe_vpcs", "Vpcs")) == 1
    assert len(_tagged(aws, "describe_subnets", "Subnets")) == 4
    assert len(_tagged(aws, "describe_security_groups", "SecurityGroups")) == 2
    instances = _tagged(aws, "describe_instances", "")
    assert len(instances) == DESIGN.environment(ENV).infrastructure.compute["web"].count
    assert len(_tagged(aws, "describe_addresses", "Addresses")) == len(instances)
    zones = aws.call("route53", "list_hosted_zones_by_name", DNSName="webshop.example.com")["HostedZones"]
    assert [z["Name"] for z in zones].count("webshop.example.com.") == 1
    assert len(aws.call("cloudfront", "list_distributions")["DistributionList"].get("Items", [])) == 1


def test_a_failed_change_skips_its_dependants_and_a_rerun_converges(aws: AwsConnection) -> None:
    def refuse(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "InsufficientDBInstanceCapacity", "Message": "injected"}}, "CreateDBInstance"
        )

    aws.client("rds").meta.events.register("before-call.rds.CreateDBInstance", refuse)
    first = apply_design(aws, DESIGN)
    status = {o.change.key: o.status for o in first.outcomes}
    assert status["database:orders-db"] is Status.FAILED
    assert status["alarm:db-cpu"] is Status.SKIPPED and status["alarm:db-storage"] is Status.SKIPPED
    assert status["instance-group:web"] is Status.DONE and status["distribution:cdn"] is Status.DONE
    assert not first.succeeded

    aws.client("rds").meta.events.unregister("before-call.rds.CreateDBInstance", refuse)
    second = apply_design(aws, DESIGN)
    assert second.succeeded, [(o.change.key, o.message) for o in second.outcomes if not o.status.ok]
    assert {o.change.key for o in second.outcomes} >= {"database:orders-db", "alarm:db-cpu"}
    assert "instance-group:web" not in {o.change.key for o in second.outcomes}, "done work is not redone"
    _assert_no_duplicates(aws)
    assert service.verify(aws, DESIGN, ENV, service.read_live(aws, DESIGN, ENV)).aligned


APPLY = [sys.executable, "-m", "infragate", "apply", "--env", ENV, "-d", str(WEBSHOP), "--auto-approve"]


def _apply_until(aws: AwsConnection, embedded: EmbeddedAws, exists: str, key: str) -> subprocess.Popen[str]:
    """Start a slow (one change at a time) apply; return once it has created ``exists``, i.e. mid-way."""
    process = subprocess.Popen(
        [*APPLY, "--parallelism", "1"],
        env={**os.environ, "INFRAGATE_HOME": str(embedded.home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not _tagged(aws, exists, key):
        time.sleep(0.05)
    return process


def _rerun(embedded: EmbeddedAws) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "INFRAGATE_HOME": str(embedded.home)}
    return subprocess.run(APPLY, env=environment, capture_output=True, text=True, timeout=120, check=False)


def test_an_apply_killed_midway_is_finished_by_the_next_one(aws: AwsConnection, embedded: EmbeddedAws) -> None:
    process = _apply_until(aws, embedded, "describe_instances", "")
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=10)
    assert process.returncode == -signal.SIGKILL
    assert _tagged(aws, "describe_instances", ""), "the kill landed after instances were created"

    rerun = _rerun(embedded)
    assert rerun.returncode == 0, rerun.stderr
    _assert_no_duplicates(aws)
    assert service.verify(aws, DESIGN, ENV, service.read_live(aws, DESIGN, ENV)).aligned
    store = Store(os.environ["INFRAGATE_DATABASE_URL"])
    with store.session() as session:
        applies = [r.status for r in session.scalars(select(Run).where(Run.kind == "apply").order_by(Run.id))]
        taken = session.scalars(select(AuditLogEntry).where(AuditLogEntry.action == "lock-taken-over")).all()
    assert applies == ["interrupted", "succeeded"], "the killed apply is on record, not lost"
    assert len(taken) == 1 and taken[0].detail["pid"] == process.pid


def test_concurrent_applies_create_every_resource_once(aws: AwsConnection, embedded: EmbeddedAws) -> None:
    environment = {**os.environ, "INFRAGATE_HOME": str(embedded.home)}
    writers = [
        subprocess.Popen(
            [*APPLY, "--lock-timeout", "5m"], env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    outputs = [writer.communicate(timeout=300) for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0, 0], [stderr for _, stderr in outputs]
    assert sum("waiting for the lock" in stderr for _, stderr in outputs) >= 1, "the others waited their turn"
    assert sum("Nothing to do" in stderr for _, stderr in outputs) == 2, "and then found the work done"
    _assert_no_duplicates(aws)
    assert service.verify(aws, DESIGN, ENV, service.read_live(aws, DESIGN, ENV)).aligned


def test_a_second_writer_without_a_timeout_is_refused_naming_the_holder(
    aws: AwsConnection, embedded: EmbeddedAws
) -> None:
    store = Store(os.environ["INFRAGATE_DATABASE_URL"])
    store.ensure_current()
    with env_locks.acquire(store, "webshop", ENV, holder="lena.lead@example.com", purpose="apply"):
        refused = _rerun(embedded)
    assert refused.returncode == 6, refused.stderr
    assert "is locked by lena.lead@example.com (apply," in refused.stderr and "--lock-timeout" in refused.stderr
    assert not _tagged(aws, "describe_vpcs", "Vpcs"), "the refused apply changed nothing"


def test_ctrl_c_stops_scheduling_reports_and_a_rerun_finishes(aws: AwsConnection, embedded: EmbeddedAws) -> None:
    process = _apply_until(aws, embedded, "describe_vpcs", "Vpcs")
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "cancelled" in stdout, "every change gets an outcome"
    rerun = _rerun(embedded)
    assert rerun.returncode == 0, rerun.stderr
    _assert_no_duplicates(aws)
