"""Rich rendering of findings and errors for people."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from infragate.cli.console import emit, err, out
from infragate.cli.options import FindingsFormat
from infragate.errors import InfragateError
from infragate.policy import Severity, Status
from infragate.reporting import (
    FindingsReport,
    render_csv,
    render_json,
    render_junit,
    render_sarif,
    service_of,
)

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
STATUS_STYLE = {
    Status.PASS: "green",
    Status.FAIL: "bold red",
    Status.ERROR: "bold magenta",
    Status.WAIVED: "blue",
    Status.NOT_APPLICABLE: "dim",
}
QUIET = (Status.PASS, Status.NOT_APPLICABLE)  # shown only with --show-passed


def findings_table(report: FindingsReport, *, show_passed: bool) -> None:
    shown = [item for item in report.findings if show_passed or item.finding.status not in QUIET]
    if shown:
        table = Table(title=f"Findings for {report.source}", show_lines=False, expand=False)
        for column in ("Status", "Severity", "Rule", "Env"):
            table.add_column(column, no_wrap=True)
        table.add_column("Component", overflow="fold", max_width=28)
        table.add_column("Message", overflow="fold", min_width=40, ratio=1)
        table.add_column("Where", overflow="fold", max_width=24)
        order = {Status.ERROR: 0, Status.FAIL: 1, Status.WAIVED: 2, Status.PASS: 3, Status.NOT_APPLICABLE: 4}
        shown.sort(key=lambda i: (order[i.finding.status], -i.finding.severity.rank, i.finding.rule_id))
        for item in shown:
            f = item.finding
            where = f"{item.location.line}:{item.location.column}" if item.location else item.resource or ""
            table.add_row(
                Text(f.status.value.upper(), style=STATUS_STYLE[f.status]),
                Text(f.severity.value, style=SEVERITY_STYLE[f.severity]),
                f.rule_id,
                f.environment,
                f.component,
                f.message,
                where,
            )
        out.print(table)


def service_summary(report: FindingsReport) -> None:
    """Checks per AWS service: how many passed, and the failing ones by severity."""
    rows: dict[str, Counter[str]] = {}
    for item in report.findings:
        f = item.finding
        counts = rows.setdefault(service_of(f), Counter())
        counts[f.status.value] += 1
        if f.failing:
            counts[f.severity.value] += 1
    if not rows:
        return
    table = Table(title="Summary by service", expand=False)
    table.add_column("Service", no_wrap=True)
    for column in (*(s.value for s in Status), *(s.value for s in Severity)):
        table.add_column(column, justify="right")
    for service, counts in sorted(rows.items()):
        cells = [str(counts[status.value]) if counts[status.value] else "" for status in Status]
        severities = [
            Text(str(counts[s.value]), style=SEVERITY_STYLE[s]) if counts[s.value] else Text("") for s in Severity
        ]
        table.add_row(service, *cells, *severities)
    out.print(table)


def summary_line(report: FindingsReport) -> None:
    summary = report.summary
    judged = [status for status in Status if status is not Status.NOT_APPLICABLE]
    counts = ", ".join(f"{summary.by_status.get(status, 0)} {status.value}" for status in judged)
    failing = ", ".join(
        f"{summary.failing_by_severity[sev]} {sev.value}" for sev in Severity if summary.failing_by_severity.get(sev)
    )
    checks = sum(summary.by_status.get(status, 0) for status in judged)
    not_applicable = summary.by_status.get(Status.NOT_APPLICABLE, 0)
    err.print(
        f"[bold]{checks} checks[/bold]: {counts}"
        + (f" (failing: {failing})" if failing else "")
        + f"; {not_applicable} rule(s) not applicable"
    )


def error(problem: InfragateError) -> None:
    err.print(f"[bold red]error:[/bold red] {escape(problem.message)}", soft_wrap=True)
    for item in getattr(problem, "problems", ()):
        err.print(f"  {item}", soft_wrap=True, markup=False)
    if problem.hint:
        err.print(f"[bold]hint:[/bold] {escape(problem.hint)}", soft_wrap=True)


RENDERERS = {
    FindingsFormat.JSON: render_json,
    FindingsFormat.SARIF: render_sarif,
    FindingsFormat.JUNIT: render_junit,
    FindingsFormat.CSV: render_csv,
}


def deliver(
    report: FindingsReport,
    output_format: FindingsFormat,
    output: Path | None,
    *,
    show_passed: bool = False,
    by_service: bool = False,
) -> None:
    """Show a report as asked: a table for people (with the JSON report in --output, if given) or a
    machine format on stdout or in --output; always ends with the one-line summary on stderr."""
    if output_format is FindingsFormat.TABLE:
        if output is not None:
            emit(render_json(report), output)
        findings_table(report, show_passed=show_passed)
        if by_service:
            service_summary(report)
    else:
        emit(RENDERERS[output_format](report), output)
    summary_line(report)
