"""Restore drills on embedded AWS: a database's latest snapshot and a bucket's older object versions restored
into temporary, tagged copies that are gone afterwards (also when the drill is interrupted), RTO and RPO
held to the design's targets, and the pre-launch item met only by a recent passed drill."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from infragate.aws import AwsConnection
from infragate.design import Design, load_design
from infragate.errors import UsageError
from infragate.settings import load_settings
from infragate.store import open_store
from infragate.workflow.context import QuietView
from infragate.workflow.drills import Drill, Drilled
from infragate.workflow.records import DrillSummary
from tests.conftest import WEBSHOP
from tests.provision.test_lifecycle import apply_design
from tests.support.acting import Person
from tests.support.people import seat_owners

INFRA = "ivan.infra@example.com"


def restored_leftovers(aws: AwsConnection) -> list[str]:
    """Anything a drill made that is still there."""
    instances = [i["DBInstanceIdentifier"] for i in aws.call("rds", "describe_db_instances")["DBInstances"]]
    buckets = [b["Name"] for b in aws.call("s3", "list_buckets")["Buckets"]]
    return [name for name in instances + buckets if "-drill-" in name]


def versions(aws: AwsConnection, design: Design) -> None:
    """Two versions of one object in each versioned bucket: the older one is what a drill restores."""
    account = aws.call("sts", "get_caller_identity")["Account"]
    for name, bucket in design.environment("staging").infrastructure.buckets.items():
        if bucket.versioning:
            where = f"webshop-staging-{name}-{account}"
            aws.call("s3", "put_object", Bucket=where, Key="catalogue.json", Body=b'{"v": 1}')
            aws.call("s3", "put_object", Bucket=where, Key="catalogue.json", Body=b'{"v": 2, "more": true}')


def statuses(aws: AwsConnection) -> dict[str, str]:
    return {
        i["DBInstanceIdentifier"]: i["DBInstanceStatus"]
        for i in aws.call("rds", "describe_db_instances")["DBInstances"]
    }


class Drilling:
    """The drill as infra runs it, on the test's AWS; ``run`` returns what the handler returned."""

    def __init__(self, design: Design) -> None:
        self.store = open_store(load_settings())
        seat_owners(self.store, design)
        self.design = design

    def run(
        self, component: str | None = None, progress: Callable[[str], None] | None = None, *, connection: AwsConnection
    ) -> Drilled:
        view = Said(progress) if progress is not None else None
        person = Person(self.store, self.design, INFRA, aws=connection, view=view)
        return person.do(Drill(project=person.project, environment="staging", component=component))


class Said(QuietView):
    def __init__(self, said: Callable[[str], None]) -> None:
        self.said = said

    def log(self, message: str) -> None:
        self.said(message)


def drilling(design: Design) -> Drilling:
    return Drilling(design)


def test_a_drill_restores_measures_and_leaves_nothing_behind(aws: AwsConnection) -> None:
    design = load_design(WEBSHOP)
    assert apply_design(aws, design).succeeded
    versions(aws, design)
    before = {
        i["DBInstanceIdentifier"]: i["DBInstanceStatus"]
        for i in aws.call("rds", "describe_db_instances")["DBInstances"]
    }
    said: list[str] = []
    outcome = drilling(design).run(progress=said.append, connection=aws)
    summary = outcome.summary
    assert summary.passed and summary.embedded and (summary.rto_target, summary.rpo_target) == (60, 1440)
    db = summary.components["orders-db"]
    assert db.passed and db.recovery_point.startswith("rds:webshop-staging-orders-db")
    assert db.rto_met is True and db.rpo_met is True and 0 <= db.rpo_minutes < 60
    assert "engine postgres" in db.checks and "encryption True" in db.checks
    bucket = next(line for name, line in summary.components.items() if line.kind == "bucket")
    assert bucket.passed and bucket.checks[0].startswith("catalogue.json") and "8 bytes" in bucket.checks[0]
    assert restored_leftovers(aws) == []  # the temporary copies are gone
    after = {
        i["DBInstanceIdentifier"]: i["DBInstanceStatus"]
        for i in aws.call("rds", "describe_db_instances")["DBInstances"]
    }
    assert after == before  # the original untouched
    assert any(line.startswith("deleted webshop-staging-drill-orders-db-") for line in said)
    item = next(i for i in outcome_checklist(design) if i.spec.key == "restore-tested")
    assert item.met and "orders-db RTO" in item.detail and "embedded AWS: metadata only" in item.detail
    assert drilling(design).run("orders-db", connection=aws).summary.passed  # one component, and it passed…
    item = next(i for i in outcome_checklist(design) if i.spec.key == "restore-tested")
    assert not item.met and item.detail == "the latest drill left out assets, logs: drill them all"  # …not enough


def outcome_checklist(design: Design) -> Any:
    store = open_store(load_settings())
    return Person(store, design, INFRA).gate_report("staging").evidence.checklist


def test_targets_a_drill_cannot_meet_fail_it(aws: AwsConnection, webshop_variant: Any) -> None:
    design = webshop_variant({"backup": {"targets": {"rto_minutes": 60, "rpo_minutes": 0.0001}}})
    assert apply_design(aws, design).succeeded
    import time

    time.sleep(0.05)  # the snapshot must be older than 0.0001 minutes (6 ms) when the drill reads it
    outcome = drilling(design).run("orders-db", connection=aws)
    line = outcome.summary.components["orders-db"]
    assert not outcome.summary.passed and line.rpo_met is False and line.rto_met is True
    assert list(outcome.summary.components) == ["orders-db"]  # --component: that one only
    item = next(i for i in outcome_checklist(design) if i.spec.key == "restore-tested")
    assert not item.met and "failed: orders-db" in item.detail


def test_a_protected_database_is_drilled_through_a_copy_that_can_be_deleted(
    aws: AwsConnection, webshop_variant: Any
) -> None:
    # production's orders-db keeps deletion protection: its drill copy must not inherit it, or it stays behind
    protected = {"databases": {"orders-db": {"deletion_protection": True}}}
    design = webshop_variant({"environments": {"staging": {"overrides": protected}}})
    assert design.environment("staging").infrastructure.databases["orders-db"].deletion_protection
    assert apply_design(aws, design).succeeded
    line = drilling(design).run("orders-db", connection=aws).summary.components["orders-db"]
    assert line.passed and line.cleaned_up and line.problems == []
    assert restored_leftovers(aws) == []
    originals = aws.call("rds", "describe_db_instances")["DBInstances"]
    assert [i["DeletionProtection"] for i in originals] == [True]  # the original keeps its protection


def test_a_bucket_without_versions_or_a_missing_database_fails_and_names_why(aws: AwsConnection) -> None:
    design = load_design(WEBSHOP)
    outcome = drilling(design).run(connection=aws)  # nothing applied yet
    assert not outcome.summary.passed
    assert "does not exist: apply the design first" in outcome.summary.components["orders-db"].problems[0]
    assert apply_design(aws, design).succeeded
    bucket = next(name for name, b in design.environment("staging").infrastructure.buckets.items() if b.versioning)
    empty = drilling(design).run(bucket, connection=aws)
    line = empty.summary.components[bucket]
    assert line.not_applicable.endswith("is empty: no object version to restore yet") and not line.problems
    assert not empty.summary.passed  # nothing was restored, so nothing shows a restore works
    with pytest.raises(UsageError, match="--component web: not a database or versioned bucket"):
        drilling(design).run("web", connection=aws)


@pytest.mark.parametrize("component", ["orders-db", "assets"])
def test_ctrl_c_mid_restore_still_deletes_the_copy(aws: AwsConnection, component: str) -> None:
    from infragate.provision import drill

    design = load_design(WEBSHOP)
    assert apply_design(aws, design).succeeded
    versions(aws, design)
    made: list[str] = []

    def interrupt(message: str) -> None:
        if message.startswith(f"{component}: ") and ("being made" in message or "restored into" in message):
            made.extend(restored_leftovers(aws))  # the copy exists at this point
            raise KeyboardInterrupt  # as Ctrl-C would, while the restore is under way

    with pytest.raises(KeyboardInterrupt):
        drill.drill(aws, design, "staging", drill.components(design, "staging", component), interrupt)
    assert made and restored_leftovers(aws) == []


def test_an_old_drill_no_longer_meets_the_item(tmp_path: Any) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from infragate.store.schema import Run

    design = load_design(WEBSHOP)
    store = open_store(load_settings())
    flow = Person(store, design, INFRA)
    flow.record_run("staging", DrillSummary(passed=True, drill="x", embedded=False, components={}), succeeded=True)
    with store.session() as session:
        run = session.scalars(select(Run).where(Run.kind == "drill")).one()
        run.started_at = datetime.now(UTC) - timedelta(days=91)
    item = next(i for i in flow.gate_report("staging").evidence.checklist if i.spec.key == "restore-tested")
    assert not item.met and "older than 90 days" in item.detail
