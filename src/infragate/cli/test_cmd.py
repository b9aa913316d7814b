"""``infragate test``: the infrastructure tests of an environment (ICP-3.2), recorded as evidence."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table
from rich.text import Text

from infragate.cli import identity
from infragate.cli.client import TerminalView, for_design
from infragate.cli.console import emit, err, out
from infragate.cli.exit_codes import ExitCode
from infragate.errors import UsageError

if TYPE_CHECKING:
    from infragate.infratest.results import TestReport

VERDICT_STYLE = {
    "passed": "green",
    "failed": "bold red",
    "error": "bold red",
    "not applicable": "dim",
    "information": "cyan",
}
AREAS = ("http", "tls", "dns", "exposure", "cases")


def test(
    env: str = typer.Option(..., "--env", "-e", help="The environment."),
    design_file: Path | None = identity.DESIGN,
    output_format: str = typer.Option("table", "--format", "-f", help="table (people), json or junit (CI)"),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write json or junit here instead of stdout."),
    area: list[str] = typer.Option([], "--area", "-a", help="Only these areas: http, tls, dns, exposure, cases."),
    min_cert_days: int = typer.Option(30, "--cert-min-days", min=1, max=3650, help="A certificate must live longer."),
    timeout: float = typer.Option(10.0, "--timeout", min=0.5, max=120, help="Seconds per connection or request."),
    sequential: bool = typer.Option(False, "--sequential", help="Run the checks one after another (slower)."),
) -> None:
    """Test the environment's infrastructure (ICP-3.2): every declared endpoint over HTTP/1.1 and HTTP/2
    (status, redirect to HTTPS, health path, security headers, no version banner), its TLS with SSLyze, DNS
    records and exposed ports on real AWS, and the design's own `tests:`. Traffic goes only to the declared
    endpoints (pinned addresses included). The run is recorded; failing checks become findings; exit 1 when
    anything failed.

    Examples:

      infragate workload start --env staging -d examples/webshop/infragate.yaml

      infragate test --env staging -d examples/webshop/infragate.yaml

      infragate test --env staging --format junit -o test-results/infragate.xml
    """
    from infragate.workflow.infra_testing import InfraTest

    if output_format not in ("table", "json", "junit"):
        raise UsageError(f"--format is '{output_format}'", hint="Use table, json or junit.")
    unknown = [a for a in area if a not in AREAS]
    if unknown:
        raise UsageError(f"--area {unknown[0]} is not an area", hint=f"Use any of: {', '.join(AREAS)}.")
    from infragate.infratest.results import Area, Verdict

    client, chosen = for_design(design_file, view=TerminalView())
    command = InfraTest(
        project=chosen.project,
        environment=env,
        areas=frozenset(Area(a) for a in area) or frozenset(Area),
        min_cert_days=min_cert_days,
        timeout=timeout,
        sequential=sequential,
    )
    with err.status(f"testing {chosen.project}/{env}…"):
        tested = client.execute(command)
    report, run_id = tested.report, tested.run_id
    if output_format == "json":
        import json

        emit(json.dumps({"run": run_id, **report.to_json()}, indent=2) + "\n", output)
    elif output_format == "junit":
        emit(report.to_junit(), output)
    else:
        show(report)
    counts = ", ".join(f"{report.count(v)} {v.value}" for v in Verdict if report.count(v))
    err.print(f"{chosen.project}/{env}: {counts} in {report.duration_ms / 1000:.1f} s (run {run_id})", markup=False)
    if not report.passed:
        raise typer.Exit(ExitCode.FINDINGS)


def show(report: TestReport) -> None:
    table = Table(title=f"Infrastructure tests of {report.environment}", expand=False)
    for column in ("Area", "Check", "Target", "Verdict", "Detail", "ms"):
        table.add_column(column, overflow="fold")
    for result in report.ordered():
        verdict = Text(result.verdict.value, style=VERDICT_STYLE[result.verdict.value])
        table.add_row(
            result.area.value,
            result.check,
            Text(result.target),
            verdict,
            Text(result.detail),
            f"{result.duration_ms:.0f}",
        )
    out.print(table)
