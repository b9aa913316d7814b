"""``infragate compliance``: compliance frameworks (ICP-5.3), judged per environment from infragate's evidence,
with security's signatures on the requirements nothing can judge."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from infragate.cli import identity, remote
from infragate.cli.console import emit, err, out
from infragate.cli.exit_codes import ExitCode
from infragate.errors import UsageError
from infragate.files import write_bytes_atomically
from infragate.settings import load_settings

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


def _path(design_file: Path | None, env: str, framework: str) -> str:
    from infragate.cli.remote_cmds import project_of

    return (
        f"/projects/{remote.segment(project_of(design_file))}/environments/{remote.segment(env)}"
        f"/frameworks/{remote.segment(framework)}"
    )


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
    from infragate.workflow.report import framework_report

    if output_format not in FORMATS:
        raise UsageError(f"--format is '{output_format}'", hint=f"Use one of: {', '.join(FORMATS)}.")
    if output_format == "pdf" and (output is None or str(output) == "-"):
        raise UsageError("a PDF goes to a file", hint="Add -o report.pdf.")
    server = remote.connection()
    if server is not None:  # the server judges; the rendering is the same as in local mode
        data = server.call("GET", _path(design_file, env, framework), params={"format": "json"})
    else:
        data = framework_report(identity.workflow(design_file, identified=False), env, framework)
    if output_format == "table":
        return _show(data)
    if output_format == "json":
        body = json.dumps(data, indent=2).encode() + b"\n"
    elif output_format == "csv":
        body = render_framework_csv(data).encode()
    elif output_format == "html":
        body = render_framework_html(data).encode()
    else:
        body = render_framework_pdf(data)
    _write(body, output, bool(data["holds"]))


def _write(data: bytes, output: Path | None, holds: bool) -> None:
    if output is None or str(output) == "-":
        emit(data.decode(), None)
    else:
        write_bytes_atomically(output, data, private=True)  # lists what is not compliant: its owner's eyes only
        out.print(f"report: {output}", markup=False)
    if not holds:
        raise typer.Exit(ExitCode.FINDINGS)


def _show(data: dict[str, object]) -> None:
    framework = data["framework"]
    assert isinstance(framework, dict)
    table = Table(title=f"{framework['title']} {framework['version']}: {data['project']}/{data['environment']}")
    for column in ("Requirement", "What infragate checks", "Verdict", "Evidence", "Date"):
        table.add_column(column, overflow="fold")
    requirements = data["requirements"]
    assert isinstance(requirements, list)
    for r in requirements:
        verdict = f"[{STYLE[r['verdict']]}]{r['verdict']}[/]"
        table.add_row(r["id"], escape(r["title"]), verdict, escape("\n".join(r["evidence"])), (r["at"] or "")[:16])
    out.print(table)
    counts = data["counts"]
    assert isinstance(counts, dict)
    said = ", ".join(f"{count} {verdict}" for verdict, count in counts.items() if count)
    holds = bool(data["holds"])
    chosen = "" if data["chosen"] else " (not chosen by the design: shown on request)"
    err.print(f"{framework['id']}: {'holds' if holds else 'does not hold'}{chosen}: {said}", markup=False)
    if not holds:
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
    server = remote.connection()
    if server is not None:
        if acting_as is not None:
            raise UsageError("--as is for local mode: a server acts only as the person it authenticated")
        body: dict[str, object] = {"comment": comment}
        if attachment is not None:
            body |= {"attachment_name": attachment[0], "attachment_base64": base64.b64encode(attachment[1]).decode()}
        path = f"{_path(design_file, env, framework)}/requirements/{remote.segment(requirement)}/signature"
        done = server.call("POST", path, body=body)
        out.print(f"{framework} {requirement} {done['result']} for {env}", markup=False)
        return
    digest = identity.workflow(design_file, acting_as).sign_requirement(
        env, framework, requirement, comment, attachment, load_settings().home
    )
    kept = f" (attachment sha256 {digest})" if digest else ""
    out.print(f"{framework} {requirement} signed for {env}{kept}", markup=False)
