"""Machine outputs: SARIF validates against the OASIS schema, JUnit parses back, JSON round-trips."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date
from typing import Any

import jsonschema
import pytest

from infragate.design import load_design
from infragate.policy import Status, check_design, policy_rules
from infragate.reporting import FindingsReport, render_json, render_junit, render_sarif
from tests.conftest import INSECURE, SCHEMAS, WEBSHOP


@pytest.fixture(scope="module")
def insecure_report() -> FindingsReport:
    design = load_design(INSECURE)
    findings = check_design(design, today=date(2026, 11, 26))
    return FindingsReport(
        "design-validate", str(INSECURE), design.digest, policy_rules(), tuple(findings), artifact=str(INSECURE)
    )


def test_sarif_is_valid_against_the_schema(insecure_report: FindingsReport) -> None:
    schema = json.loads((SCHEMAS / "sarif-2.1.0.schema.json").read_text())
    document = json.loads(render_sarif(insecure_report))
    jsonschema.Draft7Validator(schema).validate(document)


def test_sarif_carries_security_severity_and_locations(insecure_report: FindingsReport) -> None:
    run: dict[str, Any] = json.loads(render_sarif(insecure_report))["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert rules["NET-002"]["properties"]["security-severity"] == "9.5"
    assert rules["EC2-005"]["properties"]["security-severity"] == "3.0"
    reported = [i for i in insecure_report.findings if i.finding.status is not Status.PASS]
    assert len(run["results"]) == len(reported)
    not_applicable = [r for r in run["results"] if r.get("kind") == "notApplicable"]
    assert not_applicable and all(r["level"] == "none" for r in not_applicable)
    ssh = next(r for r in run["results"] if r["ruleId"] == "NET-002")
    region = ssh["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] > 1
    assert run["tool"]["driver"]["rules"][ssh["ruleIndex"]]["id"] == "NET-002"


def test_sarif_marks_waived_findings_as_suppressed(insecure_report: FindingsReport) -> None:
    results = json.loads(render_sarif(insecure_report))["runs"][0]["results"]
    suppressed = [r for r in results if r.get("suppressions")]
    assert [(r["ruleId"], r["properties"]["component"]) for r in suppressed] == [("EC2-005", "worker")]


def test_junit_has_one_testcase_per_rule_and_component(insecure_report: FindingsReport) -> None:
    root = ET.fromstring(render_junit(insecure_report))
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(insecure_report.findings)
    failures = [c for c in cases if c.find("failure") is not None]
    skipped = [c for c in cases if c.find("skipped") is not None]
    fails = [i for i in insecure_report.findings if i.finding.status is Status.FAIL]
    assert len(failures) == len(fails) == int(root.get("failures", "-1"))
    not_applicable = [i for i in insecure_report.findings if i.finding.status is Status.NOT_APPLICABLE]
    assert len(skipped) == 1 + len(not_applicable) == int(root.get("skipped", "-1"))
    assert not_applicable, "rules with nothing to judge are reported as skipped, not passed"
    names = {(c.get("classname", "").split()[0], c.get("name")) for c in cases}
    assert ("NET-002", "admin [production]") in names


def test_json_report_lists_every_finding_with_its_location() -> None:
    design = load_design(WEBSHOP)
    findings = check_design(design)
    report = FindingsReport(
        "design-validate", str(WEBSHOP), design.digest, policy_rules(), tuple(findings), artifact=str(WEBSHOP)
    )
    document = json.loads(render_json(report))
    assert document["source"]["digest"] == design.digest
    by_status = document["summary"]["by_status"]
    assert set(by_status) == {"pass", "not applicable"} and sum(by_status.values()) == len(findings)
    assert by_status["not applicable"] == sum(1 for item in findings if item.finding.status is Status.NOT_APPLICABLE)
    assert all(item["location"]["line"] >= 1 for item in document["findings"])
    assert {item["environment"] for item in document["findings"]} == {"staging", "production"}
