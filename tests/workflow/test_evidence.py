"""Evidence that counts: automatic checklist items need a current audit that evaluated their rules and passed,
ICP-1.2 is met by a design of approved services, and every count in a compliance report agrees with its lists."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infragate.design import Design, load_design
from infragate.reporting import render_compliance_html
from infragate.reporting.compliance_model import ComplianceReport
from infragate.store import Store
from infragate.store.schema import Run
from infragate.workflow.records import AuditSummary, ChangesSummary, DocsSummary, ShieldCoverage, VerifySummary
from infragate.workflow.report import compliance_report
from tests.conftest import INSECURE, WEBSHOP
from tests.support.acting import Person
from tests.support.people import seat_owners

LEAD = "lena.lead@example.com"
VERIFIED = VerifySummary(aligned=True, shield=ShieldCoverage(subscribed=True))
ALARM_RULES = ("MON-001", "MON-002", "MON-003", "MON-004", "MON-005", "MON-006")


@pytest.fixture
def lead(tmp_path: Path) -> Person:
    store = Store(f"sqlite:///{tmp_path / 'evidence.db'}")
    store.upgrade()
    seat_owners(store, load_design(WEBSHOP))
    return Person(store, load_design(WEBSHOP), LEAD)


def audit(flow: Person, env: str, rules: dict[str, dict[str, int]], **fields: Any) -> None:
    """Record an audit run with these per-rule results."""
    flow.record_run(env, AuditSummary(rules=rules, **fields), succeeded=True)


def item(flow: Person, env: str, key: str) -> tuple[bool, str]:
    state = next(i for i in flow.evidence(env).checklist if i.spec.key == key)
    return state.met, state.detail


def test_an_audit_that_passed_every_rule_of_the_item_meets_it(lead: Person) -> None:
    audit(lead, "production", {rule: {"pass": 1} for rule in ALARM_RULES})
    met, detail = item(lead, "production", "alarms")
    assert met and "MON-001" in detail


@pytest.mark.parametrize(
    ("results", "words"),
    [
        ({**{r: {"pass": 1} for r in ALARM_RULES}, "MON-003": {"waived": 1}}, "only accepted"),
        ({**{r: {"pass": 1} for r in ALARM_RULES}, "MON-003": {"error": 1}}, "unreadable"),
        ({r: {"pass": 1} for r in ALARM_RULES[:-1]}, "not evaluated"),  # MON-006 was never evaluated
        ({}, "no rule results"),  # an audit that evaluated nothing at all
    ],
)
def test_accepted_unreadable_or_unevaluated_rules_do_not_meet_an_item(
    lead: Person, results: dict[str, dict[str, int]], words: str
) -> None:
    audit(lead, "production", results)
    met, detail = item(lead, "production", "alarms")
    assert not met and words in detail


def test_an_audit_older_than_the_last_apply_is_not_current(lead: Person) -> None:
    audit(lead, "production", {rule: {"pass": 1} for rule in ALARM_RULES})
    lead.record_run("production", ChangesSummary(plan="sha256:x"), succeeded=True)
    met, detail = item(lead, "production", "alarms")
    assert not met and "older than the latest apply" in detail


def test_an_audit_without_rule_results_is_not_evidence(lead: Person) -> None:
    lead.record_run("production", AuditSummary(failing=0), succeeded=True)
    assert item(lead, "production", "alarms") == (False, "the latest audit recorded no rule results: audit again")
    with lead.store.session() as session:  # a stored summary of another shape is not evidence either
        run = session.query(Run).filter(Run.kind == "audit").one()
        run.summary = {"rules": "everything passed", "schema_version": 99}
    assert item(lead, "production", "alarms")[0] is False


def test_production_only_rules_in_staging_make_the_item_not_applicable(lead: Person) -> None:
    audit(lead, "staging", {rule: {"not applicable": 1} for rule in ALARM_RULES})
    met, detail = item(lead, "staging", "alarms")
    assert met and detail.startswith("not applicable")


def test_verify_before_the_last_apply_does_not_meet_setup_verified(lead: Person) -> None:
    lead.record_run("staging", VERIFIED, succeeded=True)
    assert item(lead, "staging", "setup-verified")[0]
    lead.record_run("staging", ChangesSummary(plan="sha256:x"), succeeded=True)
    assert item(lead, "staging", "setup-verified") == (False, "not verified since the last apply")


def test_icp_1_2_is_met_by_approved_services_and_unmet_by_an_unapproved_one(
    lead: Person, webshop_variant: Callable[[dict[str, Any]], Design]
) -> None:
    report = compliance_report(lead.work, "staging").model_dump(mode="json")
    assert next(c for c in report["clauses"] if c["id"] == "ICP-1.2")["status"] == "met"
    unapproved = webshop_variant({"additional_services": {"cache": {"service": "elasticache"}}})
    flow = Person(lead.store, unapproved, LEAD)
    clause = next(
        c for c in compliance_report(flow.work, "staging").model_dump(mode="json")["clauses"] if c["id"] == "ICP-1.2"
    )
    assert clause["status"] == "unmet" and any("cache" in e for e in clause["evidence"])


def assert_consistent(report: dict[str, Any]) -> None:
    """Every count the report shows agrees with the list it summarises, in the data and in the page."""
    clauses = report["clauses"]
    for status in ("met", "unmet", "waived"):
        assert report["summary"]["clauses"][status] == sum(1 for c in clauses if c["status"] == status), status
    assert sum(report["summary"]["clauses"].values()) == len(clauses)
    assert report["summary"]["clauses"]["unmet"] == len(report["non_compliance"])
    assert {n["clause"] for n in report["non_compliance"]} == {c["id"] for c in clauses if c["status"] == "unmet"}
    assert all(n["missing"] for n in report["non_compliance"]), "an unmet clause says what is missing"
    assert sum(report["summary"]["open_findings"].values()) == len(report["open_findings"])
    html = render_compliance_html(ComplianceReport.model_validate(report))
    shown = re.search(r'<b class="unmet">(\d+)</b>clauses unmet', html)
    listed = re.search(r"Non-compliance: (\d+) unmet clause", html)
    assert shown and listed and shown.group(1) == listed.group(1) == str(len(report["non_compliance"]))
    counts = re.search(r"<b>([\d /]+)</b>open findings", html)
    assert counts and sum(int(n) for n in counts.group(1).split("/")) == len(report["open_findings"])


def test_every_report_counts_what_it_lists(lead: Person) -> None:
    reports = [compliance_report(lead.work, env).model_dump(mode="json") for env in ("staging", "production")]
    lead.approve_design("staging")
    lead.record_run("staging", DocsSummary(), succeeded=True)
    audit(lead, "staging", {rule: {"pass": 1} for rule in ALARM_RULES})
    reports.append(compliance_report(lead.work, "staging").model_dump(mode="json"))
    insecure = Person(lead.store, load_design(INSECURE), LEAD)
    reports += [compliance_report(insecure.work, env).model_dump(mode="json") for env in insecure.design.environments]
    for report in reports:
        assert_consistent(report)
    assert any(r["non_compliance"] for r in reports) and any(r["summary"]["clauses"]["met"] for r in reports)
