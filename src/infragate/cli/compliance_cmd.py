"""``infragate compliance``: compliance frameworks (ICP-5.3), judged per environment from infragate's evidence,
with security's signatures on the requirements nothing can judge."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from infragate.cli import identity
from infragate.cli.client import for_design
from infragate.cli.console import emit, err, out
from infragate.cli.exit_codes import ExitCode
from infragate.errors import UsageError
from infragate.files import write_bytes_atomically

if TYPE_CHECKING:
    from infragate.reporting.compliance_model import FrameworkReport

app = typer.Typer(
    help="Compliance frameworks (ICP-5.3): CIS AWS, PCI DSS, HIPAA, SOC 2 and the policy itself, judged from "
    "evidence, with manual requirements signed by security.",
    no_args_is_help=True,
)
FORMATS = ("table", "json", "html", "pdf", "csv")
STYLE = {"pass": "green", "fail": "bold red", "manual": "yellow", "not applicable": "dim", "not evaluated": "magenta"}


@app.command("frameworks")
def list_frameworks() -> None:
    """The frameworks infragate maps: id, version, requirements, and how many are manual.

    A design chooses some with `compliance: [cis-aws, pci-dss-4]`; the policy itself (icp) is always judged.

    Example:

      infragate compliance frameworks
    """
    from infragate.policy.frameworks import catalog

    table = Table(title="Compliance frameworks", expand=False)
    for column in ("Id", "Framework", "Version", "Requirements", "Manual", "Mapped"):
        table.add_column(column, overflow="fold")
    for framework in catalog().values():
        manual = sum(1 for r in framework.requirements if r.manual)
        table.add_row(
            framework.id,
            framework.title,
            framework.version,
            str(len(framework.requirements)),
            str(manual),
            framework.scope,
        )
    out.print(table)


@app.command("report")
def report(
    env: str = typer.Option(..., "--env", "-e", help="The environment."),
    framework: str = typer.Option(..., "--framework", help="A framework id (`infragate compliance frameworks`)."),
    output_format: str = typer.Option("table", "--format", "-f", help="table, json, html, pdf or csv."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here ('-' for stdout; not for pdf)."),
    design_file: Path | None = identity.DESIGN,
) -> None:
    """Each requirement of a framework judged for an environment: pass, fail, manual (waiting for security's
    signature), not applicable, or not evaluated (no current evidence), with the evidence and its date.
    Exit 1 unless the framework holds (what ICP-5.3's checklist item asks of every chosen framework).

    Examples:

      infragate compliance report --env production --framework pci-dss-4

      infragate compliance report --env production --framework cis-aws --format pdf -o cis.pdf

      infragate compliance report --env staging --framework soc2 --format csv -o - | column -s, -t
    """
    from infragate.reporting.frameworks import render_framework_csv, render_framework_html, render_framework_pdf
    from infragate.workflow.report import GetFrameworkReport

    if output_format not in FORMATS:
        raise UsageError(f"--format is '{output_format}'", hint=f"Use one of: {', '.join(FORMATS)}.")
    if output_format == "pdf" and (output is None or str(output) == "-"):
        raise UsageError("a PDF goes to a file", hint="Add -o report.pdf.")
    client, chosen = for_design(design_file)
    data = client.execute(GetFrameworkReport(project=chosen.project, environment=env, framework=framework))
    if output_format == "table":
        return _show(data)
    if output_format == "json":
        body = data.model_dump_json(indent=2).encode() + b"\n"
    elif output_format == "csv":
        body = render_framework_csv(data).encode()
    elif output_format == "html":
        body = render_framework_html(data).encode()
    else:
        body = render_framework_pdf(data)
    _write(body, output, data.holds)


def _write(data: bytes, output: Path | None, holds: bool) -> None:
    if output is None or str(output) == "-":
        emit(data.decode(), None)
    else:
        write_bytes_atomically(output, data, private=True)  # lists what is not compliant: its owner's eyes only
        out.print(f"report: {output}", markup=False)
    if not holds:
        raise typer.Exit(ExitCode.FINDINGS)


def _show(data: FrameworkReport) -> None:
    framework = data.framework
    table = Table(title=f"{framework.title} {framework.version}: {data.project}/{data.environment}")
    for column in ("Requirement", "What infragate checks", "Verdict", "Evidence", "Date"):
        table.add_column(column, overflow="fold")
    for r in data.requirements:
        verdict = f"[{STYLE[r.verdict]}]{r.verdict}[/]"
        table.add_row(r.id, escape(r.title), verdict, escape("\n".join(r.evidence)), (r.at or "")[:16])
    out.print(table)
    said = ", ".join(f"{count} {verdict}" for verdict, count in data.counts.items() if count)
    chosen = "" if data.chosen else " (not chosen by the design: shown on request)"
    err.print(f"{framework.id}: {'holds' if data.holds else 'does not hold'}{chosen}: {said}", markup=False)
    if not data.holds:
        raise typer.Exit(ExitCode.FINDINGS)


@app.command("sign")
def sign(
    requirement: str = typer.Argument(..., help="The manual requirement's id, as the report shows it."),
    env: str = typer.Option(..., "--env", "-e", help="The environment."),
    framework: str = typer.Option(..., "--framework", help="The framework's id."),
    comment: str = typer.Option(..., "--comment", "-m", help="What was checked, and how."),
    attach: Path | None = typer.Option(None, "--attach", help="A file of evidence (at most 20 MiB)."),
    design_file: Path | None = identity.DESIGN,
    acting_as: str | None = identity.AS,
) -> None:
    """Sign a manual requirement of a framework for an environment (security), with a comment and an
    optional attachment kept under its SHA-256.

    Example:

      INFRAGATE_USER=sam.sec@example.com infragate compliance sign 8.4.2 --env production \\
          --framework pci-dss-4 -m 'MFA enforced for every admin (IdP policy)' --attach idp-policy.pdf
    """
    attachment = None
    if attach is not None:
        try:
            attachment = (attach.name, attach.read_bytes())
        except OSError as failed:
            raise UsageError(f"{attach} cannot be read: {failed.strerror}", hint="Check the path.") from None
    from infragate.workflow.signoffs import SignRequirement

    client, chosen = for_design(design_file, acting_as=acting_as)
    done = client.execute(
        SignRequirement(
            project=chosen.project,
            environment=env,
            framework=framework,
            requirement=requirement,
            comment=comment,
            attachment_name=attachment[0] if attachment else None,
            attachment_base64=base64.b64encode(attachment[1]).decode() if attachment else None,
        )
    )
    out.print(f"{framework} {requirement} {done.result} for {env}", markup=False)
