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


def test_shd006_is_not_applicable_without_instances_with_a_public_address(aws: AwsConnection) -> None:
    network = account.network(aws)
    account.instances(aws, 2, network.private_subnet)
    assert _statuses(aws, "SHD-006") == {"account": Status.NOT_APPLICABLE}


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


# -- the adversarial corpus for live-only rules: fail, tricky, decoy ---------------------------------------

Findings = list[Any]
Build = Callable[[AwsConnection], tuple[str, Findings]]


def _account_wide(aws: AwsConnection) -> Findings:
    return [item.finding for item in check_live(collect(aws, COLLECTORS, Scope()))]


def _webshop_staging(aws: AwsConnection) -> Findings:
    snapshot = collect(aws, COLLECTORS, Scope("webshop", "staging"))
    return [item.finding for item in check_live(snapshot, design=load_design(WEBSHOP), environment="staging")]


def _shd006(build: Callable[[AwsConnection], str]) -> Build:
    return lambda aws: (build(aws), _account_wide(aws))


def _bucket(statement: dict[str, Any]) -> Build:
    def build(aws: AwsConnection) -> tuple[str, Findings]:
        account.bucket(aws, "judged-bucket", statement=statement)
        return "judged-bucket", _account_wide(aws)

    return build


def _inv001_denied(aws: AwsConnection) -> tuple[str, Findings]:
    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "injected"}}, "ListBuckets")

    aws.client("s3", "eu-west-1").meta.events.register("before-call.s3.ListBuckets", refuse)
    return "s3", _account_wide(aws)


def _inv001_one_listing_denied(aws: AwsConnection) -> tuple[str, Findings]:
    def deny(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "UnauthorizedOperation", "Message": "injected"}}, "DescribeVolumes")

    aws.client("ec2", "eu-west-1").meta.events.register("before-call.ec2.DescribeVolumes", deny)
    return "ec2", _account_wide(aws)


def _inv001_readable(aws: AwsConnection) -> tuple[str, Findings]:
    account.bucket(aws, "readable-bucket")
    return "s3", _account_wide(aws)


def _inv002_nothing_provisioned(aws: AwsConnection) -> tuple[str, Findings]:
    return "orders-db", _webshop_staging(aws)


def _inv002_partly_provisioned(aws: AwsConnection) -> tuple[str, Findings]:
    # The buckets exist and pass their rules: a literal audit says "clean"; the missing database must fail.
    for name in ("assets", "logs"):
        account.bucket(aws, f"webshop-staging-{name}", account.project_tags("webshop", "staging", name))
    return "orders-db", _webshop_staging(aws)


def _inv002_present(aws: AwsConnection) -> tuple[str, Findings]:
    account.bucket(aws, "webshop-staging-logs", account.project_tags("webshop", "staging", "logs"))
    return "logs", _webshop_staging(aws)


def _volume(encrypted: bool, *, with_encrypted_instance: bool = False) -> Build:
    def build(aws: AwsConnection) -> tuple[str, Findings]:
        if with_encrypted_instance:
            account.instances(aws, 1, account.network(aws).private_subnet)
        return account.volume(aws, encrypted=encrypted), _account_wide(aws)

    return build


LIVE_CASES: dict[str, tuple[Build, Build, Build]] = {
    "SHD-006": (_shd006(no_subscription), _shd006(auto_assigned_public_ip), _shd006(protected_eip)),
    "S3-005": (
        _bucket({"Effect": "Allow", "Principal": "*"}),
        _bucket({"Effect": "Allow", "Principal": {"AWS": "*"}, "Condition": {"Bool": {"aws:SecureTransport": "true"}}}),
        _bucket(
            {
                "Effect": "Allow",
                "Principal": "*",
                "Condition": {"StringEquals": {"aws:SourceArn": "arn:aws:cloudfront::123456789012:distribution/E1"}},
            }
        ),
    ),
    "INV-001": (_inv001_denied, _inv001_one_listing_denied, _inv001_readable),
    "INV-002": (_inv002_nothing_provisioned, _inv002_partly_provisioned, _inv002_present),
    "EC2-008": (_volume(False), _volume(False, with_encrypted_instance=True), _volume(True)),
}
FAILING = (Status.FAIL, Status.ERROR)


def _verdict(rule_id: str, component: str, findings: Findings) -> Status | None:
    return next((f.status for f in findings if f.rule_id == rule_id and f.component == component), None)


@pytest.mark.parametrize("rule_id", sorted(LIVE_CASES))
@pytest.mark.parametrize("variant", [0, 1], ids=["fail", "tricky"])
def test_live_rule_fails_its_failing_and_tricky_cases(aws: AwsConnection, rule_id: str, variant: int) -> None:
    component, findings = LIVE_CASES[rule_id][variant](aws)
    assert _verdict(rule_id, component, findings) in FAILING


@pytest.mark.parametrize("rule_id", sorted(LIVE_CASES))
def test_live_rule_passes_its_compliant_decoy(aws: AwsConnection, rule_id: str) -> None:
    component, findings = LIVE_CASES[rule_id][2](aws)
    assert _verdict(rule_id, component, findings) is Status.PASS


def test_every_live_only_rule_has_a_failing_tricky_and_decoy_case() -> None:
    assert set(LIVE_CASES) == {rule.meta.id for rule in policy_rules() if Subject.DESIGN not in rule.meta.subjects}


def test_an_unprovisioned_environment_never_audits_clean(aws: AwsConnection) -> None:
    findings = _webshop_staging(aws)
    missing = {f.component for f in findings if f.rule_id == "INV-002" and f.status is Status.FAIL}
    assert {"web", "orders-db", "assets", "cdn", "webshop.example.com"} <= missing
    assert any(f.failing for f in findings)


# -- live facts that literal implementations get wrong -------------------------------------------------


def test_match_viewer_origins_behind_redirect_to_https_are_reached_over_https(aws: AwsConnection) -> None:
    account.distribution(aws, "b", origin_domain="origin.example.net", viewer_policy="redirect-to-https")
    account.distribution(aws, "b", origin_domain="plain.example.net", viewer_policy="allow-all")
    statuses = sorted(_statuses(aws, "CF-005").values())
    assert statuses == [Status.FAIL, Status.PASS], "redirect-to-https + match-viewer is HTTPS; allow-all is not"


def test_an_instance_with_its_metadata_endpoint_off_meets_imdsv2(aws: AwsConnection) -> None:
    network = account.network(aws)
    (off,) = account.instances(aws, 1, network.private_subnet, imdsv2=False, metadata_endpoint=False)
    (v1,) = account.instances(aws, 1, network.private_subnet, imdsv2=False)
    assert _statuses(aws, "EC2-003") == {off: Status.PASS, v1: Status.FAIL}


def test_a_record_pointing_at_an_auto_assigned_address_is_judged(aws: AwsConnection) -> None:
    instance, _ = _public_instance(aws, eip=False)
    address = aws.call("ec2", "describe_instances", InstanceIds=[instance])["Reservations"][0]["Instances"][0][
        "PublicIpAddress"
    ]
    zone_id, _ = account.hosted_zone(aws, "example.net")
    account.a_record(aws, zone_id, "app.example.net", address)
    assert _statuses(aws, "DNS-001") == {"example.net": Status.FAIL}


def test_icmp_from_anywhere_is_not_every_port(aws: AwsConnection) -> None:
    network = account.network(aws)
    group = account.security_group(aws, network.vpc, "pingable")
    permission = {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    aws.call("ec2", "authorize_security_group_ingress", GroupId=group, IpPermissions=[permission])
    assert _statuses(aws, "NET-005")[group] is Status.PASS


def test_an_alarm_on_a_misspelt_metric_monitors_nothing(aws: AwsConnection) -> None:
    (instance,) = account.instances(aws, 1, account.network(aws).private_subnet)
    account.alarm(aws, "cpu", "cpuutilization", ("InstanceId", instance), ("arn:aws:sns:eu-west-1:1:t",))
    findings = _account_wide(aws)
    assert _verdict("MON-007", "cpu", findings) is Status.FAIL
    assert _verdict("MON-001", instance, findings) is Status.FAIL
