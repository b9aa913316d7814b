"""The JSON report: every finding, with its rule metadata and location."""

from __future__ import annotations

import json

from infragate import __version__
from infragate.json_values import JsonObject
from infragate.policy import LocatedFinding
from infragate.reporting.findings_report import FindingsReport, service_of


def _finding(item: LocatedFinding) -> JsonObject:
    f = item.finding
    data: JsonObject = {
        "rule_id": f.rule_id,
        "title": f.title,
        "severity": f.severity.value,
        "clause": f.clause,
        "environment": f.environment,
        "component": f.component,
        "kind": f.kind.value,
        "service": service_of(f),
        "resource": item.resource,
        "status": f.status.value,
        "message": f.message,
        "fingerprint": item.fingerprint,
        "location": None,
        "waiver": None,
    }
    if item.location:
        data["location"] = {"file": item.location.file, "line": item.location.line, "column": item.location.column}
    if f.waiver:
        data["waiver"] = f.waiver.model_dump(mode="json")
    return data


def render_json(report: FindingsReport) -> str:
    summary = report.summary
    document = {
        "tool": {"name": "infragate", "version": __version__},
        "command": report.command,
        "source": {"description": report.source, "file": report.artifact, "digest": report.digest},
        "generated_at": report.generated_at.isoformat(timespec="seconds"),
        "summary": {
            "by_status": {status.value: count for status, count in sorted(summary.by_status.items())},
            "failing_by_severity": {sev.value: count for sev, count in sorted(summary.failing_by_severity.items())},
        },
        "findings": [_finding(item) for item in report.findings],
    }
    return json.dumps(document, indent=2) + "\n"
