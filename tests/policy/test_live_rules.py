"""Rules on a live account (embedded AWS over HTTP): the live-only rules, and rules that cannot be judged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from infragate.aws import AwsConnection
from infragate.design import load_design
from infragate.inventory import COLLECTORS, Scope, collect
from infragate.model import ComponentKind
from infragate.policy import Status, Subject, check_live, policy_rules
from tests.conftest import WEBSHOP
from tests.support import account


def _statuses(aws: AwsConnection, rule_id: str) -> dict[str, Status]:
    findings = check_live(collect(aws, COLLECTORS, Scope()))
    return {item.finding.component: item.finding.status for item in findings if item.finding.rule_id == rule_id}


def _public_instance(aws: AwsConnection, *, eip: bool) -> tuple[str, str | None]:
    network = account.network(aws)
    aws.call("ec2", "modify_subnet_attribute", SubnetId=network.public_subnet, MapPublicIpOnLaunch={"Value": True})
    (instance,) = account.instances(aws, 1, network.public_subnet)
    return instance, account.elastic_ip(aws, instance) if eip else None


def no_subscription(aws: AwsConnection) -> str:
    instance, _ = _public_instance(aws, eip=True)
    return instance


def auto_assigned_public_ip(aws: AwsConnection) -> str:
    instance, _ = _public_instance(aws, eip=False)
    account.shield(aws)
    return instance


def unprotected_eip(aws: AwsConnection) -> str:
    instance, _ = _public_instance(aws, eip=True)
    account.shield(aws)
    return instance


def protected_eip(aws: AwsConnection) -> str:
    instance, arn = _public_instance(aws, eip=True)
    account.shield(aws, protect=(arn or "",))
    return instance


@pytest.mark.parametrize(
    ("build", "expected", "words"),
    [
        (no_subscription, Status.FAIL, "no Shield Advanced subscription"),
        (auto_assigned_public_ip, Status.FAIL, "not an Elastic IP"),
        (unprotected_eip, Status.FAIL, "has no Shield protection"),
        (protected_eip, Status.PASS, "protected by Shield Advanced"),
    ],
)
def test_shd006_every_public_instance_is_covered_through_its_eip(
    aws: AwsConnection, build: Callable[[AwsConnection], str], expected: Status, words: str
) -> None:
    instance = build(aws)
    findings = [
        item.finding for item in check_live(collect(aws, COLLECTORS, Scope())) if item.finding.rule_id == "SHD-006"
    ]
    assert [(f.component, f.status) for f in findings] == [(instance, expected)]
    assert words in findings[0].message and findings[0].kind is ComponentKind.INSTANCE


def test_shd006_ignores_instances_without_a_public_address(aws: AwsConnection) -> None:
    network = account.network(aws)
    account.instances(aws, 2, network.private_subnet)
    assert _statuses(aws, "SHD-006") == {}


def test_s3005_fails_a_bucket_whose_policy_allows_everyone(aws: AwsConnection) -> None:
    account.bucket(aws, "leaky-bucket", public_policy=True)
    account.bucket(aws, "private-bucket")
    assert _statuses(aws, "S3-005") == {"leaky-bucket": Status.FAIL, "private-bucket": Status.PASS}


def test_a_service_that_cannot_be_read_is_an_error_and_its_rules_are_not_evaluated(aws: AwsConnection) -> None:
    account.bucket(aws, "some-bucket")

    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "injected"}}, "DescribeSubscription")

    aws.client("shield", "us-east-1").meta.events.register("before-call.shield.DescribeSubscription", refuse)
    findings = check_live(collect(aws, COLLECTORS, Scope()))
    by_rule: dict[str, list[Any]] = {}
    for item in findings:
        by_rule.setdefault(item.finding.rule_id, []).append(item.finding)
    assert [(f.component, f.status) for f in by_rule["INV-001"] if f.status is not Status.PASS] == [
        ("shield", Status.ERROR)
    ]
    for rule_id in ("SHD-001", "SHD-002", "SHD-006"):
        (finding,) = by_rule[rule_id]
        assert finding.status is Status.ERROR and "Not evaluated: shield" in finding.message
    assert {f.status for f in by_rule["S3-001"]} == {Status.FAIL}, "rules on readable services still judge"


def test_design_only_rules_never_run_on_a_live_account(aws: AwsConnection) -> None:
    design_only = {rule.meta.id for rule in policy_rules() if Subject.LIVE not in rule.meta.subjects}
    assert {"GOV-001", "NET-006", "WVR-001", "S3-004"} <= design_only
    network = account.network(aws)
    account.instances(aws, 1, network.private_subnet)
    ran = {item.finding.rule_id for item in check_live(collect(aws, COLLECTORS, Scope()))}
    assert ran and not ran & design_only


def test_project_findings_point_at_the_design_and_the_resource(aws: AwsConnection) -> None:
    design = load_design(WEBSHOP)
    account.bucket(aws, "webshop-prod-assets", account.project_tags("webshop", "production", "assets"))
    snapshot = collect(aws, COLLECTORS, Scope("webshop", "production"))
    findings = check_live(snapshot, design=design, environment="production")
    (s3_001,) = [item for item in findings if item.finding.rule_id == "S3-001"]
    assert s3_001.finding.component == "assets" and s3_001.resource == "webshop-prod-assets"
    assert s3_001.location is not None and s3_001.location.file == str(WEBSHOP)
    assert "assets" in WEBSHOP.read_text().splitlines()[s3_001.location.line - 1]
