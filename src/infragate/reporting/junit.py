"""JUnit XML for CircleCI's test summary: one testsuite per environment, one testcase per rule x component."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from infragate.policy import LocatedFinding, Status
from infragate.reporting.findings_report import FindingsReport


def _testcase(suite: ET.Element, item: LocatedFinding) -> None:
    f = item.finding
    case = ET.SubElement(suite, "testcase", classname=f"{f.rule_id} {f.title}", name=f"{f.component} [{f.environment}]")
    if item.location:
        case.set("file", item.location.file)
        case.set("line", str(item.location.line))
    detail = f"{f.message}\nSeverity: {f.severity}. Policy clause: {f.clause}."
    if item.location:
        detail += f"\nAt {item.location}."
    if f.status is Status.FAIL:
        ET.SubElement(case, "failure", message=f.message, type=f.severity.value).text = detail
    elif f.status is Status.ERROR:
        ET.SubElement(case, "error", message=f.message, type="rule-error").text = detail
    elif f.status is Status.WAIVED and f.waiver is not None:
        reason = f"waived until {f.waiver.expires} by {f.waiver.approver}: {f.waiver.reason}"
        ET.SubElement(case, "skipped", message=reason)
    elif f.status is Status.NOT_APPLICABLE:
        ET.SubElement(case, "skipped", message=f.message)


def _count(items: list[LocatedFinding], status: Status) -> str:
    return str(sum(1 for item in items if item.finding.status is status))


def render_junit(report: FindingsReport) -> str:
    by_environment: dict[str, list[LocatedFinding]] = defaultdict(list)
    for item in report.findings:
        by_environment[item.finding.environment].append(item)
    root = ET.Element("testsuites", name=f"infragate {report.command}")
    for environment, items in by_environment.items():
        suite = ET.SubElement(
            root,
            "testsuite",
            name=f"infragate.{report.command}.{environment}",
            tests=str(len(items)),
            failures=_count(items, Status.FAIL),
            errors=_count(items, Status.ERROR),
            skipped=str(int(_count(items, Status.WAIVED)) + int(_count(items, Status.NOT_APPLICABLE))),
            timestamp=report.generated_at.strftime("%Y-%m-%dT%H:%M:%S"),
        )
        for item in items:
            _testcase(suite, item)
    for attribute in ("tests", "failures", "errors", "skipped"):
        root.set(attribute, str(sum(int(s.get(attribute, "0")) for s in root)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
