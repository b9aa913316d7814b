"""SARIF 2.1.0 for GitHub code scanning: failing and waived findings as results, with security-severity."""

from __future__ import annotations

import json

from infragate import __version__
from infragate.json_values import JsonObject
from infragate.policy import LocatedFinding, Rule, Severity, Status
from infragate.reporting.findings_report import FindingsReport

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

# GitHub maps security-severity to its own levels: >= 9.0 critical, >= 7.0 high, >= 4.0 medium, else low.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}


def _rule(rule: Rule) -> JsonObject:
    meta = rule.meta
    return {
        "id": meta.id,
        "name": "".join(part.capitalize() for part in rule.function.split("_")),
        "shortDescription": {"text": meta.title},
        "fullDescription": {"text": meta.rationale},
        "help": {
            "text": f"{meta.remediation} (Policy clause {meta.clause}.)",
            "markdown": f"**Remediation:** {meta.remediation}\n\n**Policy clause:** {meta.clause}",
        },
        "defaultConfiguration": {"level": LEVEL[meta.severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[meta.severity],
            "precision": "very-high",
            "tags": ["security", "infrastructure", meta.clause],
        },
    }


def _location(item: LocatedFinding, artifact: str | None) -> JsonObject:
    """Where GitHub shows the result: the design line when known, always the resource as a logical location.

    A live finding without a design file has no physical location at all, rather than a made-up one.
    """
    f, location = item.finding, item.location
    logical = {
        "name": f.component,
        "kind": "resource",
        "fullyQualifiedName": item.resource or f"{f.environment}/{f.component}",
    }
    result: JsonObject = {"logicalLocations": [logical]}
    if location is not None:
        result["physicalLocation"] = {
            "artifactLocation": {"uri": location.file},
            "region": {"startLine": location.line, "startColumn": location.column},
        }
    elif artifact is not None:
        result["physicalLocation"] = {"artifactLocation": {"uri": artifact}}
    return result


def _result(item: LocatedFinding, index: dict[str, int], artifact: str | None) -> JsonObject:
    f = item.finding
    result: JsonObject = {
        "ruleId": f.rule_id,
        "level": LEVEL[f.severity],
        "message": {"text": f"[{f.environment}] {f.message}"},
        "locations": [_location(item, artifact)],
        "partialFingerprints": {"infragateFinding/v1": item.fingerprint},
        "properties": {
            "environment": f.environment,
            "component": f.component,
            "clause": f.clause,
            "severity": f.severity.value,
            "status": f.status.value,
        },
    }
    if f.rule_id in index:
        result["ruleIndex"] = index[f.rule_id]
    if f.status is Status.NOT_APPLICABLE:
        result["kind"], result["level"] = "notApplicable", "none"
    if f.status is Status.WAIVED and f.waiver is not None:
        result["suppressions"] = [
            {
                "kind": "external",
                "state": "accepted",
                "justification": f"{f.waiver.reason} (approved by {f.waiver.approver}, expires {f.waiver.expires})",
            }
        ]
    return result


def render_sarif(report: FindingsReport) -> str:
    rules = list(report.rules)
    index = {rule.meta.id: position for position, rule in enumerate(rules)}
    reported = [item for item in report.findings if item.finding.status is not Status.PASS]
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "infragate",
                        "version": __version__,
                        "informationUri": "https://github.com/infragate/infragate",
                        "rules": [_rule(rule) for rule in rules],
                    }
                },
                "automationDetails": {"id": f"infragate/{report.command}/"},
                "results": [_result(item, index, report.artifact) for item in reported],
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"
