"""The engine: crashing rules become error findings, waivers apply only while valid, thresholds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from infragate.design import Design, parse_design
from infragate.model import Database
from infragate.policy import RuleContext, RuleMeta, RuleSet, Severity, Status, breaches, check_design, evaluate
from infragate.policy.registry import Outcome, Verdict
from tests.conftest import WEBSHOP

TODAY = date(2026, 11, 26)
META = dict(title="t", decides="d.", severity=Severity.HIGH, clause="ICP-1.1", rationale="r.", remediation="m.")


def _context(design: Design, env: str = "production") -> RuleContext:
    e = design.environment(env)
    return RuleContext(e.infrastructure, e.settings, TODAY, design.project, design.waivers)


def test_a_crashing_component_rule_is_an_error_for_that_component(
    webshop_variant: Callable[[dict[str, Any]], Design],
) -> None:
    rules = RuleSet()

    @rules.each(RuleMeta(id="TST-001", **META), over=Database)
    def explode(db: Database, context: RuleContext) -> Verdict:
        raise RuntimeError("boom")

    design = webshop_variant({})
    findings = evaluate(rules, _context(design))
    assert [(f.component, f.status) for f in findings] == [("orders-db", Status.ERROR)]
    assert "RuntimeError: boom" in findings[0].message
    assert findings[0].failing


def test_a_crashing_environment_rule_is_an_error_not_a_pass(
    webshop_variant: Callable[[dict[str, Any]], Design],
) -> None:
    rules = RuleSet()

    @rules.environment(RuleMeta(id="TST-002", **META))
    def explode(context: RuleContext) -> Iterator[Outcome]:
        raise KeyError("missing")

    findings = evaluate(rules, _context(webshop_variant({})))
    assert [(f.rule_id, f.status) for f in findings] == [("TST-002", Status.ERROR)]


def _ec2_005(design: Design) -> dict[str, Status]:
    return {
        i.finding.component: i.finding.status
        for i in check_design(design, environment="production", today=TODAY)
        if i.finding.rule_id == "EC2-005"
    }


WAIVER = {"rule": "EC2-005", "component": "web", "reason": "Cost trade-off agreed with client.", "approver": "sam"}
NO_MONITORING = {"compute": {"web": {"detailed_monitoring": False}}}


def test_a_valid_waiver_turns_a_failure_into_waived(webshop_variant: Callable[[dict[str, Any]], Design]) -> None:
    design = webshop_variant({**NO_MONITORING, "waivers": [{**WAIVER, "expires": "2027-01-01"}]})
    findings = [i.finding for i in check_design(design, environment="production", today=TODAY)]
    waived = [f for f in findings if f.rule_id == "EC2-005"]
    assert [f.status for f in waived] == [Status.WAIVED]
    assert waived[0].waiver is not None and waived[0].waiver.approver == "sam"
    assert not waived[0].failing


def test_an_expired_waiver_does_not_apply_and_is_itself_failing(
    webshop_variant: Callable[[dict[str, Any]], Design],
) -> None:
    design = webshop_variant({**NO_MONITORING, "waivers": [{**WAIVER, "expires": "2026-11-25"}]})
    findings = [i.finding for i in check_design(design, environment="production", today=TODAY)]
    assert _ec2_005(design) == {"web": Status.FAIL}
    expired = [f for f in findings if f.rule_id == "WVR-001"]
    assert [(f.component, f.status) for f in expired] == [("EC2-005/web", Status.FAIL)]


def test_a_waiver_expiring_today_still_applies(webshop_variant: Callable[[dict[str, Any]], Design]) -> None:
    design = webshop_variant({**NO_MONITORING, "waivers": [{**WAIVER, "expires": "2026-11-26"}]})
    assert _ec2_005(design) == {"web": Status.WAIVED}


def test_a_waiver_for_another_environment_does_not_apply(webshop_variant: Callable[[dict[str, Any]], Design]) -> None:
    design = webshop_variant(
        {**NO_MONITORING, "waivers": [{**WAIVER, "expires": "2027-01-01", "environments": ["staging"]}]}
    )
    assert _ec2_005(design) == {"web": Status.FAIL}


def test_a_wildcard_waiver_covers_every_component(webshop_variant: Callable[[dict[str, Any]], Design]) -> None:
    design = webshop_variant({**NO_MONITORING, "waivers": [{**WAIVER, "component": "*", "expires": "2027-01-01"}]})
    assert _ec2_005(design) == {"web": Status.WAIVED}


def test_breaches_respect_the_threshold(webshop_variant: Callable[[dict[str, Any]], Design]) -> None:
    design = webshop_variant({"compute": {"web": {"detailed_monitoring": False, "imdsv2": False}}})
    findings = [i.finding for i in check_design(design, environment="production", today=TODAY)]
    assert {f.rule_id for f in breaches(findings, Severity.LOW)} == {"EC2-003", "EC2-005"}
    assert {f.rule_id for f in breaches(findings, Severity.HIGH)} == {"EC2-003"}
    assert breaches(findings, Severity.CRITICAL) == []
    assert breaches(findings, None) == []


def test_findings_point_at_the_component_in_the_file() -> None:
    text = WEBSHOP.read_text().replace("imdsv2: true", "imdsv2: false")
    design = parse_design(text, "webshop.yaml")
    located = [i for i in check_design(design, environment="production", today=TODAY) if i.finding.rule_id == "EC2-003"]
    assert len(located) == 1 and located[0].location is not None
    location = located[0].location
    assert location.file == "webshop.yaml"
    assert text.splitlines()[location.line - 1].strip() == "web:"
    assert text.splitlines()[location.line - 2].strip() == "compute:"
