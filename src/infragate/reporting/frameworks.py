"""A compliance framework's report for one environment (ICP-5.3): HTML, PDF (made from the HTML) and CSV."""

from __future__ import annotations

import csv
import io

from infragate.reporting.compliance import html_to_pdf, templates
from infragate.reporting.compliance_model import FrameworkReport

CSV_COLUMNS = ("framework", "version", "environment", "requirement", "title", "verdict", "evidence", "date")


def render_framework_html(report: FrameworkReport) -> str:
    return templates.get_template("framework.html.j2").render(r=report.model_dump(mode="json"))


def render_framework_pdf(report: FrameworkReport) -> bytes:
    return html_to_pdf(render_framework_html(report))


def render_framework_csv(report: FrameworkReport) -> str:
    """One row per requirement; several evidence lines are joined with " | "."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for requirement in report.requirements:
        writer.writerow(
            (
                report.framework.id,
                report.framework.version,
                report.environment,
                requirement.id,
                requirement.title,
                requirement.verdict,
                " | ".join(requirement.evidence),
                requirement.at or "",
            )
        )
    return buffer.getvalue()
