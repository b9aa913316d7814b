"""CSV: one row per finding, for spreadsheets and ad-hoc analysis (the columns Prowler users expect)."""

from __future__ import annotations

import csv
import io

from infragate.reporting.findings_report import FindingsReport, service_of

COLUMNS = (
    "status",
    "severity",
    "rule_id",
    "title",
    "clause",
    "environment",
    "service",
    "kind",
    "component",
    "resource",
    "message",
    "fingerprint",
)


def render_csv(report: FindingsReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for item in report.findings:
        f = item.finding
        writer.writerow(
            (
                f.status.value,
                f.severity.value,
                f.rule_id,
                f.title,
                f.clause,
                f.environment,
                service_of(f),
                f.kind.value,
                f.component,
                item.resource or "",
                f.message,
                item.fingerprint,
            )
        )
    return buffer.getvalue()
