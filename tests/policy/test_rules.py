"""The adversarial corpus for design rules: per rule, a case that must fail, a tricky variant a literal
implementation would miss (which must fail too), and a compliant decoy that looks suspicious (which must
pass). Production-only rules also get their failing mutation in staging, where they must not fire.

The compliant webshop design is the base; each variant patches it just enough. The meta-tests at the bottom
prove no rule is missing a variant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from infragate.design import Design, load_design
from infragate.policy import Status, Subject, check_design, policy_rules
from tests.conftest import INSECURE

TODAY = date(2026, 11, 26)
WAIVER = {"reason": "Accepted for the test suite only.", "approver": "sam.sec@example.com"}
AMI = "ami-0c1bc246476a5572b"


@dataclass(frozen=True)
class V:
    """One variant: a patch of the webshop design, and where the rule's verdict is read."""

    patch: dict[str, Any]
    component: str | None = None  # default: the case's component
    environment: str | None = None  # default: the case's environment


@dataclass(frozen=True)
class Case:
    fail: V
    tricky: V
    decoy: V
    component: str
    environment: str = "production"


def groups(**changes: Any) -> dict[str, Any]:
    return {"network": {"security_groups": changes}}


def ingress(*rules: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"description": "test rule", **rule} for rule in rules]


def prod(overrides: dict[str, Any]) -> dict[str, Any]:
    """The violation hidden in production's overrides rather than the base design."""
    return {"environments": {"production": {"overrides": overrides}}}


def staging(overrides: dict[str, Any]) -> dict[str, Any]:
    return {"environments": {"staging": {"overrides": overrides}}}


def web(**settings: Any) -> dict[str, Any]:
    return {"compute": {"web": settings}}


def db(**settings: Any) -> dict[str, Any]:
    return {"databases": {"orders-db": settings}}


def bucket(name: str, **settings: Any) -> dict[str, Any]:
    return {"buckets": {name: settings}}


def cdn(**settings: Any) -> dict[str, Any]:
    return {"distributions": {"cdn": settings}}


def alarms(**changes: Any) -> dict[str, Any]:
    return {"monitoring": {"alarms": changes}}


def group(name: str, **settings: Any) -> dict[str, Any]:
    base = {"count": 1, "instance_type": "t3.micro", "ami": AMI, "security_groups": ["web"]}
    return {"compute": {name: {**base, **settings}}}


def owners(**people: Any) -> dict[str, Any]:
    return {"project": {"owners": people}}


def waiver(**fields: Any) -> dict[str, Any]:
    return {"waivers": [{"rule": "EC2-005", "component": "web", "expires": "2099-01-31", **WAIVER, **fields}]}


def environment(name: str, **settings: Any) -> dict[str, Any]:
    return {"environments": {name: {"region": "eu-west-1", "aws": "embedded", **settings}}}


NOT_ROUTED = "0.0.0.0/1"  # half the internet: "not /0" must not mean "not public"
SLO = {"peak_rps": 10, "p95_ms": 300, "p99_ms": 800, "max_error_rate": 0.01}

CASES: dict[str, Case] = {
    "NET-001": Case(
        V({"network": {"subnets": {"public-b": None, "private-b": None}}}),
        V({"network": {"subnets": {"public-b": {"availability_zone": "eu-west-1a"}}}}),
        V(
            {
                "network": {
                    "subnets": {
                        "public-c": {"tier": "public", "cidr": "10.20.2.0/24", "availability_zone": "eu-west-1a"}
                    }
                }
            }
        ),
        "network",
    ),
    "NET-002": Case(
        V(groups(web={"ingress": ingress({"ports": 22, "cidr": "0.0.0.0/0"})})),
        V(groups(web={"ingress": ingress({"ports": "20-23", "cidr": NOT_ROUTED})})),
        V(
            groups(
                web={"ingress": ingress({"protocol": "icmp", "cidr": "0.0.0.0/0"}, {"ports": 22, "cidr": "10.0.0.0/8"})}
            )
        ),
        "web",
    ),
    "NET-003": Case(
        V(groups(web={"ingress": ingress({"ports": 3389, "cidr": "0.0.0.0/0"})})),
        V(groups(web={"ingress": ingress({"protocol": "all", "cidr": "2000::/3"})})),
        V(groups(web={"ingress": ingress({"ports": "3390-3400", "cidr": "0.0.0.0/0"})})),
        "web",
    ),
    "NET-004": Case(
        V(groups(db={"ingress": ingress({"ports": 5432, "cidr": "0.0.0.0/0"})})),
        V(groups(db={"ingress": ingress({"ports": 27017, "cidr": "::/0"})})),
        V(groups(db={"ingress": ingress({"ports": 8443, "cidr": "0.0.0.0/0"}, {"ports": 5432, "group": "web"})})),
        "db",
    ),
    "NET-005": Case(
        V(groups(web={"ingress": ingress({"protocol": "all", "cidr": "::/0"})})),
        V(
            groups(
                web={
                    "ingress": ingress(
                        {"ports": "1-32767", "cidr": "0.0.0.0/0"}, {"ports": "32768-65535", "cidr": "0.0.0.0/0"}
                    )
                }
            )
        ),
        V(
            groups(
                web={
                    "ingress": ingress(
                        {"protocol": "icmp", "cidr": "0.0.0.0/0"}, {"ports": "1-65535", "cidr": "10.0.0.0/8"}
                    )
                }
            )
        ),
        "web",
    ),
    "NET-006": Case(
        V({"network": {"subnets": {"public-a": {"cidr": "10.99.0.0/24"}}}}),
        V({"network": {"subnets": {"private-b": {"cidr": "10.20.10.128/25"}}}}, component="private-b"),
        V({"network": {"subnets": {"public-b": {"cidr": "10.20.255.0/24"}}}}, component="public-b"),
        "public-a",
    ),
    "NET-007": Case(
        V(groups(web={"ingress": [{"ports": 443, "cidr": "0.0.0.0/0"}]})),
        V(groups(web={"ingress": [{"ports": 443, "cidr": "0.0.0.0/0", "description": "TBD"}]})),
        V(groups(web={"ingress": [{"ports": 443, "cidr": "0.0.0.0/0", "description": "VPN"}]})),
        "web",
    ),
    "NET-008": Case(
        V(groups(web={"ingress": ingress({"ports": 22, "cidr": "52.94.0.0/22"})})),
        V(groups(db={"ingress": ingress({"ports": 5432, "cidr": "2a00:1450::/32"})}), component="db"),
        V(
            groups(
                web={"ingress": ingress({"ports": 443, "cidr": "52.94.0.0/22"}, {"ports": 22, "cidr": "172.16.0.0/12"})}
            )
        ),
        "web",
    ),
    "EC2-001": Case(
        V(web(count=1)),
        V(web(count=1, role="app")),  # the label says app; the facts say it faces the internet
        V(group("worker", role="worker", subnet_tier="private")),
        "web",
    ),
    "EC2-002": Case(
        V({"network": {"subnets": {"public-b": None}}}),
        V({"network": {"subnets": {"public-b": None}}, **web(role="app")}),
        V(group("bastion", role="bastion", subnet_tier="private")),
        "web",
    ),
    "EC2-003": Case(V(web(imdsv2=False)), V(prod(web(imdsv2=False))), V(staging(web(imdsv2=False))), "web"),
    "EC2-004": Case(
        V(web(root_volume={"encrypted": False})),
        V(prod(web(root_volume={"encrypted": False}))),
        V(staging(web(root_volume={"encrypted": False}))),
        "web",
    ),
    "EC2-005": Case(
        V(web(detailed_monitoring=False)),
        V(prod(web(detailed_monitoring=False))),
        V(staging(web(detailed_monitoring=False))),
        "web",
    ),
    "EC2-006": Case(
        V(web(subnet_tier="private")),
        V(prod(web(subnet_tier="private"))),
        V(group("worker", subnet_tier="private", elastic_ip=False)),
        "web",
    ),
    "EC2-007": Case(
        V(web(security_groups=[])),
        V(prod(web(security_groups=[]))),
        V(web(security_groups=["db"])),
        "web",
    ),
    "RDS-001": Case(
        V(db(publicly_accessible=True)),
        V(prod(db(publicly_accessible=True))),
        V(staging(db(publicly_accessible=True))),
        "orders-db",
    ),
    "RDS-002": Case(
        V(db(storage_encrypted=False)),
        V(prod(db(storage_encrypted=False))),
        V(staging(db(storage_encrypted=False))),
        "orders-db",
    ),
    "RDS-003": Case(V(db(multi_az=False)), V(prod(db(multi_az=False))), V(staging(db(multi_az=False))), "orders-db"),
    "RDS-004": Case(
        V(db(backup_retention_days=3)), V(db(backup_retention_days=6)), V(db(backup_retention_days=7)), "orders-db"
    ),
    "RDS-005": Case(
        V(db(deletion_protection=False)),
        V(prod(db(deletion_protection=False))),
        V(staging(db(deletion_protection=False))),
        "orders-db",
    ),
    "RDS-006": Case(
        V(db(subnet_tier="public")),
        V(prod(db(subnet_tier="public"))),
        V(staging(db(subnet_tier="public"))),
        "orders-db",
    ),
    "RDS-007": Case(
        V(db(storage_type="standard")), V(prod(db(storage_type="standard"))), V(db(storage_type="io2")), "orders-db"
    ),
    "S3-001": Case(
        V(bucket("logs", public_access_block={"block_public_policy": False})),
        V(bucket("logs", public_access_block={"ignore_public_acls": False})),
        V(bucket("logs", public_access_block={"block_public_acls": True})),
        "logs",
    ),
    "S3-002": Case(
        V(bucket("logs", encryption="none")),
        V(prod(bucket("logs", encryption="none"))),
        V(bucket("logs", encryption="sse-kms")),
        "logs",
    ),
    "S3-003": Case(
        V(bucket("logs", versioning=False)),
        V(prod(bucket("logs", versioning=False))),
        V(staging(bucket("logs", versioning=False))),
        "logs",
    ),
    "S3-004": Case(
        V(bucket("logs", served_via_cloudfront=True)),
        V(bucket("assets", served_via_cloudfront=False), component="assets"),
        V(bucket("backups", versioning=True), component="backups"),
        "logs",
    ),
    "CF-001": Case(
        V(cdn(viewer_protocol_policy="allow-all")),
        V(prod(cdn(viewer_protocol_policy="allow-all"))),
        V(cdn(viewer_protocol_policy="https-only")),
        "cdn",
    ),
    "CF-002": Case(
        V(cdn(minimum_tls_version="TLSv1.1_2016")),
        V(cdn(certificate_arn=None)),  # TLSv1.2_2021 on paper; the default certificate accepts TLSv1
        V(cdn(minimum_tls_version="TLSv1.2_2018")),
        "cdn",
    ),
    "CF-003": Case(
        V(cdn(waf_web_acl=None)),
        V(cdn(waf_web_acl="TBD")),
        V(cdn(waf_web_acl="arn:aws:wafv2:us-east-1:123456789012:global/webacl/shop/abc")),
        "cdn",
    ),
    "CF-004": Case(
        V(cdn(logging_bucket=None)), V(prod(cdn(logging_bucket=None))), V(cdn(logging_bucket="assets")), "cdn"
    ),
    "CF-005": Case(
        V(cdn(origins=[{"bucket": "assets"}, {"instance_group": "web", "https_only": False}])),
        V(cdn(origins=[{"bucket": "assets"}, {"domain": "api.partner.example", "https_only": False}])),
        V(cdn(origins=[{"bucket": "assets", "https_only": False}, {"instance_group": "web"}])),
        "cdn",
    ),
    "DNS-001": Case(
        V(web(elastic_ip=False)),
        V(prod(web(elastic_ip=False))),
        V(
            {
                "dns": {
                    "webshop.example.com": {
                        "records": [
                            {"name": "api", "instance_group": "web"},
                            {"name": "@", "type": "TXT", "values": ["v=spf1 -all"]},
                        ]
                    }
                }
            }
        ),
        "webshop.example.com",
    ),
    "DNS-002": Case(
        V(cdn(aliases=[])),
        V(cdn(aliases=["shop.webshop.example.com"])),
        V(cdn(aliases=["WWW.Webshop.Example.com."])),  # DNS names: any case, trailing dot or not
        "webshop.example.com",
    ),
    "SHD-001": Case(
        V({"shield": {"advanced": False}}),
        V(prod({"shield": {"advanced": False}})),
        V({"shield": {"protect": {"hosted_zones": ["webshop.example.com"]}}}),
        "shield",
    ),
    "SHD-002": Case(
        V({"shield": {"protect": {"elastic_ips": "none"}}}),
        V(
            {
                **group("api", role="app", subnet_tier="public", elastic_ip=True),
                "shield": {"protect": {"elastic_ips": ["web"]}},
            },
            component="api",
        ),
        V({"shield": {"protect": {"elastic_ips": ["web"]}}}),
        "web",
    ),
    "SHD-003": Case(
        V(web(elastic_ip=False)),
        V(group("api", role="app", subnet_tier="public", elastic_ip=False), component="api"),
        V(group("worker", subnet_tier="private", elastic_ip=False), component="worker"),
        "web",
    ),
    "SHD-004": Case(
        V({"shield": {"protect": {"distributions": "none"}}}),
        V(
            {
                "distributions": {"media": {"origins": [{"bucket": "assets"}]}},
                "shield": {"protect": {"distributions": ["cdn"]}},
            },
            component="media",
        ),
        V({"shield": {"protect": {"distributions": ["cdn"]}}}),
        "cdn",
    ),
    "SHD-005": Case(
        V({"shield": {"protect": {"hosted_zones": []}}}),
        # a delegated sub-zone is a zone of its own: protecting the parent does not cover it
        V(
            {"dns": {"shop.webshop.example.com": {}}, "shield": {"protect": {"hosted_zones": ["webshop.example.com"]}}},
            component="shop.webshop.example.com",
        ),
        V({"shield": {"protect": {"hosted_zones": "all", "distributions": "none"}}}),
        "webshop.example.com",
    ),
    "MON-001": Case(
        V(alarms(**{"web-cpu": None})),
        V(alarms(**{"web-cpu": {"metric": "cpuutilization"}})),  # CloudWatch names are case-sensitive
        V(alarms(**{"web-cpu": {"statistic": "Maximum", "threshold": 90}})),
        "web",
    ),
    "MON-002": Case(
        V(alarms(**{"web-status": None})),
        V(alarms(**{"web-status": {"comparison": ">", "threshold": 1}})),  # a 0/1 metric is never above 1
        V(alarms(**{"web-status": {"metric": "StatusCheckFailed_Instance"}})),
        "web",
    ),
    "MON-003": Case(
        V(alarms(**{"db-cpu": None})),
        V(alarms(**{"db-cpu": {"threshold": 100}})),  # CPU is never above 100%
        V(alarms(**{"db-cpu": {"comparison": ">=", "threshold": 100}})),
        "orders-db",
    ),
    "MON-004": Case(
        V(alarms(**{"db-storage": None})),
        V(alarms(**{"db-storage": {"threshold": 0}})),  # free space is never below 0
        V(alarms(**{"db-storage": {"comparison": "<=", "threshold": 0}})),
        "orders-db",
    ),
    "MON-005": Case(
        V(alarms(**{"cdn-5xx": None})),
        V(alarms(**{"cdn-5xx": {"metric": "5XXErrorRate"}})),
        V(alarms(**{"cdn-5xx": {"metric": "TotalErrorRate"}})),
        "cdn",
    ),
    "MON-006": Case(
        V({"monitoring": {"notify": []}}),
        V({"monitoring": {"notify": ["TBD"]}}),
        V({"monitoring": {"notify": ["oncall@example.com"]}}),
        "monitoring",
    ),
    "MON-007": Case(
        V(alarms(**{"web-cpu": {"metric": "CpuUtilization"}})),
        V(alarms(**{"web-cpu": {"threshold": 150}})),
        V(alarms(**{"web-net": {"component": "web", "metric": "NetworkIn", "threshold": 1e12}}), component="web-net"),
        "web-cpu",
    ),
    "BAK-001": Case(
        V({"backup": {"plans": {"daily": {"components": ["orders-db"]}}}}),
        V(prod({"backup": {"plans": {"daily": {"components": ["orders-db"]}}}})),
        V(
            {
                "backup": {
                    "plans": {
                        "daily": {"components": ["orders-db"]},
                        "hourly": {"retention_days": 7, "components": ["web"]},
                    }
                }
            }
        ),
        "web",
    ),
    "BAK-002": Case(
        V({"backup": {"plans": {"daily": {"components": ["web"]}}}}),
        V(prod({"backup": {"plans": {"daily": {"components": ["web"]}}}})),
        V(
            {
                "backup": {
                    "plans": {
                        "daily": {"components": ["web"]},
                        "db": {"retention_days": 7, "components": ["orders-db"]},
                    }
                }
            }
        ),
        "orders-db",
    ),
    "BAK-003": Case(
        V({"backup": {"plans": {"daily": {"retention_days": 3}}}}),
        V({"backup": {"plans": {"daily": {"retention_days": 6}}}}),
        V({"backup": {"plans": {"daily": {"retention_days": 7}}}}),
        "daily",
    ),
    "GOV-001": Case(V(owners(lead=[])), V(owners(lead=["TBD"])), V(owners(lead="lena")), "project"),
    "GOV-002": Case(V(owners(infra=[])), V(owners(infra=["  "])), V(owners(infra=["ivan", "TBD"])), "project"),
    "GOV-003": Case(V(owners(developer=[])), V(owners(developer=["<name>"])), V(owners(developer="dara")), "project"),
    "GOV-004": Case(V(owners(security=[])), V(owners(security="nobody")), V(owners(security="sam")), "project"),
    "GOV-005": Case(
        V({"additional_services": {"cache": {"service": "elasticache"}}}),
        V({"additional_services": {"cache": {"service": "elasticache", "approved_by": "TBD"}}}),
        V({"additional_services": {"cache": {"service": "elasticache", "approved_by": "lena"}}}),
        "cache",
    ),
    "GOV-006": Case(
        V({"environments": {"production": {"requires_approval": False}}}),
        V(environment("prd", requires_approval=False), component="prd", environment="prd"),
        V({"environments": {"staging": {"requires_approval": False}}}),
        "production",
    ),
    "GOV-007": Case(
        V({"environments": {"production": {"endpoints": []}}}),
        V(environment("live"), component="live", environment="live"),  # production by its name
        V({"environments": {"production": {"endpoints": ["http://127.0.0.1:8080/"]}}}),
        "production",
    ),
    "GOV-008": Case(
        V({"environments": {"production": {"endpoints": ["https://shop.example.org/"]}}}),
        V({"environments": {"production": {"endpoints": ["https://webshop.example.com.evil.example/"]}}}),
        V({"environments": {"production": {"endpoints": ["https://WWW.Webshop.Example.COM/"]}}}),
        "production",
    ),
    "GOV-009": Case(
        V({"targets": None}),
        V({"targets": {"max_error_rate": 1.0}}),  # a 100% error budget: no result can miss it
        V(staging({"targets": SLO})),
        "production",
    ),
    "GOV-010": Case(
        V({"environments": {"production": {"production": False}}}),
        V(environment("prod", production=False), component="prod", environment="prod"),
        V(
            environment("preprod", production=False, endpoints=["https://pre.webshop.example.com"]),
            component="production",
        ),
        "production",
    ),
    "WVR-001": Case(
        V(waiver(expires="2020-01-31")),
        V(waiver(expires="2026-11-25")),  # yesterday
        V(waiver(expires="2026-11-26")),  # valid through today
        "EC2-005/web",
    ),
    "WVR-002": Case(
        V(waiver(rule="EC2-999", component="web"), component="EC2-999/web"),
        V(waiver(rule="INV-001", component="*"), component="INV-001/*"),  # meta-rules cannot be waived
        V(waiver(rule="EC2-005")),
        "EC2-005/web",
    ),
    "WVR-003": Case(
        V(waiver(approver="TBD")), V(waiver(approver="<approver>")), V(waiver(approver="sam")), "EC2-005/web"
    ),
}


def _verdicts(design: Design, rule_id: str, environment: str) -> dict[str, Status]:
    findings = check_design(design, environment=environment, today=TODAY)
    return {item.finding.component: item.finding.status for item in findings if item.finding.rule_id == rule_id}


def _read(case: Case, variant: V, build: Callable[[dict[str, Any]], Design], rule_id: str) -> Status | None:
    verdicts = _verdicts(build(variant.patch), rule_id, variant.environment or case.environment)
    return verdicts.get(variant.component or case.component)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fails_on_its_failing_case(rule_id: str, webshop_variant: Callable[[dict[str, Any]], Design]) -> None:
    case = CASES[rule_id]
    assert _read(case, case.fail, webshop_variant, rule_id) is Status.FAIL


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fails_on_its_tricky_variant(rule_id: str, webshop_variant: Callable[[dict[str, Any]], Design]) -> None:
    case = CASES[rule_id]
    assert _read(case, case.tricky, webshop_variant, rule_id) is Status.FAIL


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_passes_its_compliant_decoy(rule_id: str, webshop_variant: Callable[[dict[str, Any]], Design]) -> None:
    case = CASES[rule_id]
    assert _read(case, case.decoy, webshop_variant, rule_id) is Status.PASS
    verdicts = _verdicts(webshop_variant(case.decoy.patch), rule_id, case.decoy.environment or case.environment)
    assert Status.FAIL not in verdicts.values(), verdicts


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_passes_on_the_compliant_example(
    rule_id: str, webshop_variant: Callable[[dict[str, Any]], Design]
) -> None:
    case = CASES[rule_id]
    verdicts = _verdicts(webshop_variant({}), rule_id, case.environment)
    assert verdicts and set(verdicts.values()) <= {Status.PASS, Status.NOT_APPLICABLE}, verdicts


PRODUCTION_ONLY = sorted(rule.meta.id for rule in policy_rules() if rule.meta.production_only)


@pytest.mark.parametrize("rule_id", PRODUCTION_ONLY)
def test_production_only_rule_does_not_fire_in_staging(
    rule_id: str, webshop_variant: Callable[[dict[str, Any]], Design]
) -> None:
    verdicts = _verdicts(webshop_variant(CASES[rule_id].fail.patch), rule_id, "staging")
    assert set(verdicts.values()) == {Status.NOT_APPLICABLE}, verdicts
    assert "not production" in next(
        item.finding.message
        for item in check_design(webshop_variant({}), environment="staging", today=TODAY)
        if item.finding.rule_id == rule_id
    )


def test_every_design_rule_has_a_failing_tricky_and_decoy_case() -> None:
    design_rules = {rule.meta.id for rule in policy_rules() if Subject.DESIGN in rule.meta.subjects}
    assert set(CASES) == design_rules
    for rule_id, case in CASES.items():
        assert case.fail.patch and case.tricky.patch and case.decoy.patch, rule_id
        assert case.tricky.patch != case.fail.patch, f"{rule_id}: the tricky variant must differ from the failing case"


def test_a_rule_with_nothing_to_judge_is_not_applicable_never_a_pass(
    webshop_variant: Callable[[dict[str, Any]], Design],
) -> None:
    design = webshop_variant({"additional_services": None})
    findings = check_design(design, environment="production", today=TODAY)
    (finding,) = [item.finding for item in findings if item.finding.rule_id == "GOV-005"]
    assert finding.status is Status.NOT_APPLICABLE and not finding.failing


def test_waivers_cannot_silence_meta_rules(webshop_variant: Callable[[dict[str, Any]], Design]) -> None:
    design = webshop_variant(
        {
            "waivers": [
                {"rule": "WVR-001", "component": "*", "expires": "2099-01-31", **WAIVER},
                {"rule": "EC2-005", "component": "web", "expires": "2020-01-31", **WAIVER},
            ]
        }
    )
    findings = check_design(design, environment="production", today=TODAY)
    expired = [item.finding for item in findings if item.finding.rule_id == "WVR-001"]
    assert Status.FAIL in {f.status for f in expired} and Status.WAIVED not in {f.status for f in expired}


def test_a_waiver_without_a_real_approver_waives_nothing(webshop_variant: Callable[[dict[str, Any]], Design]) -> None:
    design = webshop_variant({**web(detailed_monitoring=False), **waiver(approver="TBD")})
    verdicts = _verdicts(design, "EC2-005", "production")
    assert verdicts == {"web": Status.FAIL}
    approved = _verdicts(webshop_variant({**web(detailed_monitoring=False), **waiver()}), "EC2-005", "production")
    assert approved == {"web": Status.WAIVED}


def test_insecure_example_fails_across_every_area() -> None:
    findings = check_design(load_design(INSECURE), today=TODAY)
    failing_areas = {item.finding.rule_id.split("-")[0] for item in findings if item.finding.status is Status.FAIL}
    assert failing_areas == {"NET", "EC2", "RDS", "S3", "CF", "DNS", "SHD", "MON", "BAK", "GOV", "WVR"}
