"""A scan's report for people and tools: HTML grouped by OWASP category, JSON, SARIF 2.1.0 (for GitHub code
scanning) and JUnit."""

from __future__ import annotations

import json
from html import escape
from xml.etree import ElementTree

from infragate.json_values import JsonObject
from infragate.scan.findings import SEVERITIES, ScanFinding
from infragate.scan.owasp import CATEGORIES, label
from infragate.scan.runner import ScanReport

SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}


def to_sarif(report: ScanReport, version: str) -> JsonObject:
    """One run, one rule per engine rule and CWE; results located by URL (SARIF's artifactLocation.uri)."""
    rules: dict[str, JsonObject] = {}
    results: list[JsonObject] = []
    for finding in report.findings:
        rule_id = f"{finding.engine}/{finding.rule}/CWE-{finding.cwe or 0}"
        rules.setdefault(
            rule_id,
            {
                "id": rule_id,
                "name": finding.title,
                "shortDescription": {"text": finding.title},
                "helpUri": f"https://cwe.mitre.org/data/definitions/{finding.cwe}.html" if finding.cwe else None,
                "properties": {
                    "tags": ["security", finding.owasp_label, *([f"CWE-{finding.cwe}"] if finding.cwe else [])],
                    "security-severity": SECURITY_SEVERITY[finding.severity],
                },
            },
        )
        results.append(
            {
                "ruleId": rule_id,
                "level": SARIF_LEVEL[finding.severity],
                "message": {"text": _message(finding)},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": finding.url}}}],
                "partialFingerprints": {"infragateScan/v1": finding.fingerprint},
                "properties": {"confidence": finding.confidence, "parameter": finding.parameter},
            }
        )
    for rule in rules.values():
        if rule["helpUri"] is None:
            del rule["helpUri"]
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "infragate-scan",
                        "version": version,
                        "informationUri": "https://owasp.org/Top10/",
                        "rules": list(rules.values()),
                    }
                },
                "results": results,
                "properties": {"environment": report.environment, "complete": report.complete},
            }
        ],
    }


def to_junit(report: ScanReport) -> str:
    """One test case per endpoint (did the scan cover it?) and one per finding (a failure)."""
    suites = ElementTree.Element("testsuites", name=f"infragate scan {report.environment}")
    suite = ElementTree.SubElement(suites, "testsuite", name="owasp-scan")
    cases = 0
    failures = 0
    for covered in report.coverage:
        case = ElementTree.SubElement(suite, "testcase", classname="scan.coverage", name=covered.url)
        cases += 1
        if covered.status != "scanned":
            failures += 1
            ElementTree.SubElement(case, "failure", message=f"{covered.status}: {covered.detail}", type="ICP-4.1")
    for finding in report.findings:
        case = ElementTree.SubElement(suite, "testcase", classname=f"scan.{finding.owasp}", name=_message(finding))
        cases += 1
        if finding.severity != "info":
            failures += 1
            ElementTree.SubElement(
                case, "failure", message=finding.title, type=finding.severity
            ).text = finding.evidence
    suite.set("tests", str(cases))
    suite.set("failures", str(failures))
    ElementTree.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suites, encoding="unicode") + "\n"


def to_json(report: ScanReport) -> str:
    return json.dumps(report.to_json(), indent=2)


def to_html(report: ScanReport) -> str:
    """Grouped by OWASP Top 10 category, most severe first; coverage and what was not followed at the end."""
    sections = []
    for code in CATEGORIES:
        group = [f for f in report.findings if f.owasp == code]
        if not group:
            continue
        rows = "".join(
            f'<tr><td class="{f.severity}">{f.severity}</td><td>{escape(f.title)}</td><td>CWE-{f.cwe or "?"}</td>'
            f"<td>{escape(f.method)} {escape(f.url)}</td><td>{escape(f.parameter)}</td><td>{escape(f.engine)}</td>"
            f"<td><code>{escape(f.evidence[:300])}</code></td></tr>"
            for f in sorted(group, key=lambda f: SEVERITIES.index(f.severity))
        )
        sections.append(
            f"<h2>{escape(label(code))} ({len(group)})</h2><table><tr><th>Severity</th><th>Finding</th><th>CWE</th>"
            f"<th>Where</th><th>Parameter</th><th>Engine</th><th>Evidence</th></tr>{rows}</table>"
        )
    coverage = "".join(
        f"<tr><td>{escape(c.url)}</td><td>{escape(c.status)}</td><td>{c.pages}</td><td>{c.requests}</td>"
        f"<td>{escape(', '.join(c.engines))}</td><td>{escape(c.detail)}</td></tr>"
        for c in report.coverage
    )
    off_scope = "".join(f"<li>{escape(url)}</li>" for url in report.off_scope[:200]) or "<li>none</li>"
    counts = ", ".join(f"{n} {s}" for s, n in report.counts().items() if n) or "no findings"
    verdict = "complete" if report.complete else "INCOMPLETE: not evidence for ICP-4.1"
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>OWASP scan: {escape(report.environment)}</title>
<style>body{{font:15px/1.45 system-ui,sans-serif;color:#111;max-width:1200px;margin:1.5rem auto;padding:0 1rem}}
table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}}
code{{white-space:pre-wrap;word-break:break-word;font-size:12px}}.critical,.high{{color:#a40000;font-weight:600}}.medium{{color:#b35c00}}</style>
</head><body><h1>OWASP scan of {escape(report.environment)}</h1>
<p>Engine {escape(report.engine)}, profile {escape(report.profile)}, {report.duration_s:.0f} s: {verdict}. {counts}.</p>
{"".join(sections) or "<p>No findings.</p>"}
<h2>Coverage</h2><table><tr><th>Endpoint</th><th>Status</th><th>Pages</th><th>Requests</th><th>Engines</th><th>Detail</th></tr>
{coverage}</table>
<h2>Seen and not followed (outside the scope)</h2><ul>{off_scope}</ul>
</body></html>
"""


def _message(finding: ScanFinding) -> str:
    where = finding.url + (f" (parameter {finding.parameter})" if finding.parameter else "")
    return f"{finding.title}: {finding.method} {where}"
