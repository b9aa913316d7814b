"""Table-driven rule tests: every rule has a passing case and a failing case on a known component.

The compliant webshop design is the base; each case patches it just enough to make one rule fail (and
sometimes to make a rule apply at all). The meta-test at the bottom proves no rule is missing a case.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, NamedTuple

import pytest

from infragate.design import Design, load_design
from infragate.policy import Status, Subject, check_design, policy_rules
from tests.conftest import INSECURE

WAIVER = {"reason": "Accepted for the test suite only.", "approver": "sam.sec@example.com"}


class Case(NamedTuple):
    fail_patch: dict[str, Any]
    component: str
    pass_patch: dict[str, Any] | None = None
    environment: str = "production"


def _groups(**changes: Any) -> dict[str, Any]:
    return {"network": {"security_groups": changes}}


CASES: dict[str, Case] = {
    "NET-001": Case({"network": {"subnets": {"public-b": None, "private-b": None}}}, "network"),
    "NET-002": Case(_groups(web={"ingress": [{"ports": 22, "cidr": "0.0.0.0/0", "description": "x"}]}), "web"),
    "NET-003": Case(_groups(web={"ingress": [{"ports": 3389, "cidr": "0.0.0.0/0", "description": "x"}]}), "web"),
    "NET-004": Case(_groups(db={"ingress": [{"ports": 5432, "cidr": "0.0.0.0/0", "description": "x"}]}), "db"),
    "NET-005": Case(_groups(web={"ingress": [{"protocol": "all", "cidr": "::/0", "description": "x"}]}), "web"),
    "NET-006": Case({"network": {"subnets": {"public-a": {"cidr": "10.99.0.0/24"}}}}, "public-a"),
    "NET-007": Case(_groups(web={"ingress": [{"ports": 443, "cidr": "0.0.0.0/0"}]}), "web"),
    "EC2-001": Case({"compute": {"web": {"count": 1}}}, "web"),
    "EC2-002": Case({"network": {"subnets": {"public-b": None}}}, "web"),
    "EC2-003": Case({"compute": {"web": {"imdsv2": False}}}, "web"),
    "EC2-004": Case({"compute": {"web": {"root_volume": {"encrypted": False}}}}, "web"),
    "EC2-005": Case({"compute": {"web": {"detailed_monitoring": False}}}, "web"),
    "EC2-006": Case({"compute": {"web": {"subnet_tier": "private"}}}, "web"),
    "EC2-007": Case({"compute": {"web": {"security_groups": []}}}, "web"),
    "RDS-001": Case({"databases": {"orders-db": {"publicly_accessible": True}}}, "orders-db"),
    "RDS-002": Case({"databases": {"orders-db": {"storage_encrypted": False}}}, "orders-db"),
    "RDS-003": Case({"databases": {"orders-db": {"multi_az": False}}}, "orders-db"),
    "RDS-004": Case({"databases": {"orders-db": {"backup_retention_days": 3}}}, "orders-db"),
    "RDS-005": Case({"databases": {"orders-db": {"deletion_protection": False}}}, "orders-db"),
    "RDS-006": Case({"databases": {"orders-db": {"subnet_tier": "public"}}}, "orders-db"),
    "RDS-007": Case({"databases": {"orders-db": {"storage_type": "standard"}}}, "orders-db"),
    "S3-001": Case({"buckets": {"logs": {"public_access_block": {"block_public_policy": False}}}}, "logs"),
    "S3-002": Case({"buckets": {"logs": {"encryption": "none"}}}, "logs"),
    "S3-003": Case({"buckets": {"logs": {"versioning": False}}}, "logs"),
    "S3-004": Case({"buckets": {"logs": {"served_via_cloudfront": True}}}, "logs"),
    "CF-001": Case({"distributions": {"cdn": {"viewer_protocol_policy": "allow-all"}}}, "cdn"),
    "CF-002": Case({"distributions": {"cdn": {"minimum_tls_version": "TLSv1.1_2016"}}}, "cdn"),
    "CF-003": Case({"distributions": {"cdn": {"waf_web_acl": None}}}, "cdn"),
    "CF-004": Case({"distributions": {"cdn": {"logging_bucket": None}}}, "cdn"),
    "CF-005": Case(
        {"distributions": {"cdn": {"origins": [{"bucket": "assets"}, {"instance_group": "web", "https_only": False}]}}},
        "cdn",
    ),
    "DNS-001": Case({"compute": {"web": {"elastic_ip": False}}}, "webshop.example.com"),
    "DNS-002": Case({"distributions": {"cdn": {"aliases": []}}}, "webshop.example.com"),
    "SHD-001": Case({"shield": {"advanced": False}}, "shield"),
    "SHD-002": Case({"shield": {"protect": {"elastic_ips": "none"}}}, "web"),
    "SHD-003": Case({"compute": {"web": {"elastic_ip": False}}}, "web"),
    "SHD-004": Case({"shield": {"protect": {"distributions": "none"}}}, "cdn"),
    "SHD-005": Case({"shield": {"protect": {"hosted_zones": []}}}, "webshop.example.com"),
    "MON-001": Case({"monitoring": {"alarms": {"web-cpu": None}}}, "web"),
    "MON-002": Case({"monitoring": {"alarms": {"web-status": None}}}, "web"),
    "MON-003": Case({"monitoring": {"alarms": {"db-cpu": None}}}, "orders-db"),
    "MON-004": Case({"monitoring": {"alarms": {"db-storage": None}}}, "orders-db"),
    "MON-005": Case({"monitoring": {"alarms": {"cdn-5xx": None}}}, "cdn"),
    "MON-006": Case({"monitoring": {"notify": []}}, "monitoring"),
    "BAK-001": Case({"backup": {"plans": {"daily": {"components": ["orders-db"]}}}}, "web"),
    "BAK-002": Case({"backup": {"plans": {"daily": {"components": ["web"]}}}}, "orders-db"),
    "BAK-003": Case({"backup": {"plans": {"daily": {"retention_days": 3}}}}, "daily"),
    "GOV-001": Case({"project": {"owners": {"lead": []}}}, "project"),
    "GOV-002": Case({"project": {"owners": {"infra": []}}}, "project"),
    "GOV-003": Case({"project": {"owners": {"developer": []}}}, "project"),
    "GOV-004": Case({"project": {"owners": {"security": []}}}, "project"),
    "GOV-005": Case(
        {"additional_services": {"cache": {"service": "elasticache"}}},
        "cache",
        pass_patch={"additional_services": {"cache": {"service": "elasticache", "approved_by": "lena"}}},
    ),
    "GOV-006": Case({"environments": {"production": {"requires_approval": False}}}, "production"),
    "GOV-007": Case({"environments": {"production": {"endpoints": []}}}, "production"),
    "GOV-008": Case({"environments": {"production": {"endpoints": ["https://shop.example.org/"]}}}, "production"),
    "GOV-009": Case({"targets": None}, "production"),
    "WVR-001": Case(
        {"waivers": [{"rule": "EC2-005", "component": "web", "expires": "2020-01-31", **WAIVER}]},
        "EC2-005/web",
        pass_patch={"waivers": [{"rule": "EC2-005", "component": "web", "expires": "2099-01-31", **WAIVER}]},
    ),
    "WVR-002": Case(
        {"waivers": [{"rule": "EC2-999", "component": "web", "expires": "2099-01-31", **WAIVER}]},
        "EC2-999/web",
        pass_patch={"waivers": [{"rule": "EC2-005", "component": "web", "expires": "2099-01-31", **WAIVER}]},
    ),
}

TODAY = date(2026, 11, 26)


def _statuses(design: Design, rule_id: str, environment: str) -> dict[str, Status]:
    findings = check_design(design, environment=environment, today=TODAY)
    return {item.finding.component: item.finding.status for item in findings if item.finding.rule_id == rule_id}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fails_on_its_failing_case(rule_id: str, webshop_variant: Callable[[dict[str, Any]], Design]) -> None:
    case = CASES[rule_id]
    statuses = _statuses(webshop_variant(case.fail_patch), rule_id, case.environment)
    assert statuses.get(case.component) is Status.FAIL, statuses


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_passes_on_its_passing_case(rule_id: str, webshop_variant: Callable[[dict[str, Any]], Design]) -> None:
    case = CASES[rule_id]
    statuses = _statuses(webshop_variant(case.pass_patch or {}), rule_id, case.environment)
    assert statuses, f"{rule_id} produced no finding on its passing case"
    assert set(statuses.values()) == {Status.PASS}, statuses


def test_every_design_rule_has_cases() -> None:
    assert set(CASES) == {rule.meta.id for rule in policy_rules() if Subject.DESIGN in rule.meta.subjects}


def test_production_only_rules_are_silent_in_staging(webshop_variant: Callable[[dict[str, Any]], Design]) -> None:
    findings = check_design(webshop_variant({"compute": {"web": {"count": 1}}}), environment="staging", today=TODAY)
    production_only = {rule.meta.id for rule in policy_rules() if rule.meta.production_only}
    assert production_only
    assert not {item.finding.rule_id for item in findings} & production_only
    assert findings, "rules that apply everywhere still run in staging"


def test_insecure_example_fails_across_every_area() -> None:
    findings = check_design(load_design(INSECURE), today=TODAY)
    failing_areas = {item.finding.rule_id.split("-")[0] for item in findings if item.finding.status is Status.FAIL}
    assert failing_areas == {"NET", "EC2", "RDS", "S3", "CF", "DNS", "SHD", "MON", "BAK", "GOV", "WVR"}
