"""``infragate design …``: validate a design file, print its JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from infragate.cli import options, render
from infragate.cli.client import TerminalView, open_client
from infragate.cli.console import emit, out
from infragate.cli.exit_codes import ExitCode
from infragate.cli.options import FailOn, FindingsFormat
from infragate.design import json_schema, load_design
from infragate.errors import UsageError
from infragate.policy import breaches, check_design, policy_rules
from infragate.policy.frameworks import chosen
from infragate.reporting import FindingsReport

app = typer.Typer(
    help="Design files: validate them against the policy, document them with diagrams, print their schema.",
    no_args_is_help=True,
)


@app.command("validate")
def validate(
    file: Path = typer.Argument(..., help="The design file, e.g. examples/webshop/infragate.yaml."),
    env: str | None = typer.Option(None, "--env", "-e", help="Check one environment only (default: all)."),
    output_format: FindingsFormat = options.FORMAT,
    fail_on: FailOn = options.FAIL_ON,
    output: Path | None = options.OUTPUT,
    show_passed: bool = options.SHOW_PASSED,
) -> None:
    """Load a design file, report every problem in it, and check it against the policy rules.

    A file that does not load (YAML syntax, wrong types, unknown keys, dangling references) exits 2.

    Every problem is listed as file:line:column with its field path, all at once.

    A file that loads is checked by every rule in every environment (or --env only).

    Failing findings at or above --fail-on exit 1; waived findings never do.

    Examples:

      infragate design validate examples/webshop/infragate.yaml

      infragate design validate infragate.yaml --env production --format sarif -o design.sarif
    """
    design = load_design(file)
    chosen(design)  # a compliance framework infragate does not know is a design error, at its line
    rules = policy_rules()
    findings = check_design(design, environment=env)
    report = FindingsReport(
        command="design-validate",
        source=str(file),
        digest=design.digest,
        rules=rules,
        findings=tuple(findings),
        artifact=str(file),
    )
    render.deliver(report, output_format, output, show_passed=show_passed)
    failing = breaches((item.finding for item in findings), fail_on.threshold())
    if failing:
        raise typer.Exit(ExitCode.FINDINGS)


@app.command("schema")
def schema(
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the schema here instead of stdout."),
) -> None:
    """Print the JSON Schema of design files (point your editor's YAML language server at it).

    Example:

      infragate design schema -o infragate.schema.json
    """
    emit(json.dumps(json_schema(), indent=2) + "\n", output)


@app.command("docs")
def docs(
    file: Path = typer.Argument(..., help="The design file."),
    env: str | None = typer.Option(None, "--env", "-e", help="Document one environment only (default: all)."),
    out_dir: Path | None = typer.Option(
        None, "--out", help="Directory for the document and diagrams (default: $INFRAGATE_HOME/docs/<project>)."
    ),
    output_format: str = typer.Option("html", "--format", "-f", help="html or markdown"),
) -> None:
    """Write the design document (ICP-1.3): architecture and network diagrams (PNG and SVG, official AWS
    icons, drawn with Graphviz), configuration tables, environments side by side, SLOs, owners, findings and
    waivers, stamped with the design digest. The design gate counts it for this digest only.

    Needs Graphviz (apt-get install graphviz).

    Examples:

      infragate design docs examples/webshop/infragate.yaml

      infragate design docs infragate.yaml --env production --format markdown --out docs/
    """
    if output_format not in ("html", "markdown"):
        raise UsageError(f"--format is '{output_format}'", hint="Use html or markdown.")
    from infragate.workflow.documents import WriteDocs

    design = load_design(file)
    environments = tuple(env_design.name for env_design in design.select(env))
    client = open_client(design, view=TerminalView())
    folder = str(out_dir.resolve()) if out_dir is not None else None
    written = client.execute(
        WriteDocs(project=design.project.name, environments=environments, folder=folder, output_format=output_format)
    )
    out.print(f"design docs for {design.project.name} ({design.digest[:19]}…): {written.index}")
