"""``infragate scan``: the OWASP scan of an environment (ICP-4.1); ``scan engines`` and ``scan install``."""

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
from infragate.settings import load_settings

if TYPE_CHECKING:
    from rich.status import Status

    from infragate.scan.runner import ScanReport


class _ScanView(TerminalView):
    """The scan's progress lines, on the spinner's line."""

    status: Status | None = None

    def log(self, message: str) -> None:
        if _ScanView.status is not None:
            _ScanView.status.update(message)
        else:
            super().log(message)


app = typer.Typer(
    help="OWASP scans (ICP-4.1): wapiti and infragate's own checks against the environment's declared endpoints.",
    invoke_without_command=True,
)
FORMATS = ("table", "json", "sarif", "junit", "html")
SEVERITY_STYLE = {"critical": "bold red", "high": "bold red", "medium": "yellow", "low": "cyan", "info": "dim"}


@app.callback()
def scan(
    ctx: typer.Context,
    env: str | None = typer.Option(None, "--env", "-e", help="The environment."),
    design_file: Path | None = identity.DESIGN,
    engine: str | None = typer.Option(
        None,
        "--engine",
        help="builtin (wapiti + infragate's checks; the default), own (infragate's only), wapiti, detectify "
        "(INFRAGATE_DETECTIFY_KEY) or zap (INFRAGATE_ZAP_URL).",
    ),
    profile: str | None = typer.Option(None, "--profile", help="quick, standard (default) or full: wapiti's modules."),
    max_requests: int | None = typer.Option(None, "--max-requests", min=10, help="Per endpoint, every engine."),
    max_duration: int | None = typer.Option(None, "--max-duration", min=10, help="Seconds per endpoint."),
    rate: float | None = typer.Option(None, "--rate", min=0.1, max=500, help="Requests/s of infragate's checks."),
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be requested; send nothing."),
    output_format: str = typer.Option("table", "--format", "-f", help="table, json, sarif, junit or html"),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write json, sarif, junit or html here."),
) -> None:
    """Scan the environment for OWASP Top 10 issues (ICP-4.1). infragate's own checks crawl each declared
    endpoint (never leaving it: off-scope links are listed, not followed) and look for exposed repositories,
    environment and backup files, directory listings, CORS with credentials, cookie flags, missing security
    headers, version banners, stack traces, mixed content and weak TLS; wapiti (installed once into a tool
    environment of its own) attacks the pages for XSS, SQL and command injection, path traversal, open
    redirects and more, through a proxy that only connects to the declared endpoints. Findings are
    fingerprinted and kept across scans; exit 1 when any medium or worse is found, 2 when the scan could not
    cover every endpoint.

    Examples:

      infragate scan --env staging -d examples/webshop/infragate.yaml --dry-run

      infragate scan --env staging --profile quick

      infragate scan --env staging --format sarif -o infragate.sarif     # for GitHub code scanning
    """
    if ctx.invoked_subcommand is not None:
        return
    from infragate.workflow.scanning import GetScanPlan, Scan, ScanOptions

    if env is None:
        raise UsageError("which environment?", hint="Pass --env NAME.")
    if output_format not in FORMATS:
        raise UsageError(f"--format is '{output_format}'", hint=f"Use {', '.join(FORMATS)}.")
    from infragate.model.scanning import ENGINES

    if engine is not None and engine not in ENGINES:
        raise UsageError(f"--engine is '{engine}'", hint=f"Use {', '.join(ENGINES)}.")
    if profile is not None and profile not in ("quick", "standard", "full"):
        raise UsageError(f"--profile is '{profile}'", hint="Use quick, standard or full.")
    client, chosen = for_design(design_file, view=_ScanView())
    options = ScanOptions(
        engine=engine, profile=profile, max_requests=max_requests, max_duration_s=max_duration, rate=rate
    )
    if dry_run:
        described = options.model_copy(update={"dry_run": True})
        plan = client.execute(GetScanPlan(project=chosen.project, environment=env, options=described)).plan
        for line in plan.describe():
            out.print(line, markup=False, soft_wrap=True)
        return
    with err.status(f"scanning {chosen.project}/{env}…") as status:
        _ScanView.status = status
        scanned = client.execute(Scan(project=chosen.project, environment=env, options=options))
    report, plan, run_id = scanned.report, scanned.plan, scanned.run_id
    from infragate import __version__
    from infragate.scan import report as formats

    if output_format == "json":
        emit(formats.to_json(report) + "\n", output)
    elif output_format == "sarif":
        import json

        emit(json.dumps(formats.to_sarif(report, __version__), indent=2) + "\n", output)
    elif output_format == "junit":
        emit(formats.to_junit(report), output)
    elif output_format == "html":
        emit(formats.to_html(report), output)
    else:
        show(report)
    counts = ", ".join(f"{n} {s}" for s, n in report.counts().items() if n) or "no findings"
    state = "complete" if report.complete else "INCOMPLETE (not evidence for ICP-4.1)"
    err.print(f"{chosen.project}/{env}: scan {state}, {counts} (run {run_id})", markup=False)
    err.print(f"report: {plan.folder / 'report.html'}", markup=False)
    if not report.complete:
        raise typer.Exit(ExitCode.USAGE)
    if any(f.severity in ("critical", "high", "medium") for f in report.findings):
        raise typer.Exit(ExitCode.FINDINGS)


def show(report: ScanReport) -> None:
    table = Table(title=f"OWASP scan of {report.environment}", expand=False)
    for column in ("Severity", "OWASP", "CWE", "Finding", "Where", "Engine"):
        table.add_column(column, overflow="fold")
    for f in report.findings:
        where = f"{f.method} {f.url}" + (f" [{f.parameter}]" if f.parameter else "")
        table.add_row(
            Text(f.severity, style=SEVERITY_STYLE[f.severity]),
            f.owasp,
            str(f.cwe or ""),
            Text(f.title),
            Text(where),
            f.engine,
        )
    out.print(table)
    for c in report.coverage:
        line = f"{c.url}: {c.status}, {c.pages} pages, {c.requests} requests ({', '.join(c.engines)})"
        out.print(line + (f": {c.detail}" if c.detail else ""), markup=False)
    if report.off_scope:
        out.print(f"seen and not followed (outside the scope): {', '.join(report.off_scope[:10])}", markup=False)


@app.command("engines")
def engines() -> None:
    """Show the scan engines and whether each is installed here.

    Example:

      infragate scan engines
    """
    from infragate.scan import wapiti

    settings = load_settings()
    program = wapiti.executable(settings.tools_dir)
    table = Table(title="Scan engines", expand=False)
    for column in ("Engine", "State", "Where"):
        table.add_column(column)
    table.add_row("builtin", "ready" if program else "needs wapiti (installed on first scan)", "wapiti + own checks")
    table.add_row("own", "ready", "infragate's checks (in this process)")
    table.add_row(
        "wapiti",
        f"installed ({wapiti.VERSION})" if program else "not installed",
        str(wapiti.environment_dir(settings.tools_dir)),
    )
    import os

    detectify = "configured" if os.environ.get("INFRAGATE_DETECTIFY_KEY") else "needs INFRAGATE_DETECTIFY_KEY"
    zap = os.environ.get("INFRAGATE_ZAP_URL", "")
    table.add_row("detectify", detectify, os.environ.get("INFRAGATE_DETECTIFY_URL") or "https://api.detectify.com/rest")
    table.add_row("zap", "configured" if zap else "needs INFRAGATE_ZAP_URL", zap or "a running ZAP daemon's API")
    out.print(table)


@app.command("install")
def install() -> None:
    """Install wapiti into its own environment under the tools directory (INFRAGATE_TOOLS, default
    $INFRAGATE_HOME/tools). A scan does this on first use; run it ahead, e.g. in an image build.

    Example:

      INFRAGATE_TOOLS=/opt/infragate-tools infragate scan install
    """
    from infragate.scan import wapiti

    settings = load_settings()
    program = wapiti.install(settings.tools_dir, lambda message: err.print(message, markup=False))
    err.print(f"wapiti {wapiti.VERSION}: {program}", markup=False)
