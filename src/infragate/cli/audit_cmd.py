"""``infragate audit``: read a live AWS account (or one project's part of it) and judge it by the policy."""

from __future__ import annotations

from pathlib import Path

import typer

from infragate.aws import AwsConnection
from infragate.cli import render, targets
from infragate.cli.console import emit, err
from infragate.cli.exit_codes import ExitCode
from infragate.cli.options import FailOn, FindingsFormat, require
from infragate.cli.progress import CollectorProgress
from infragate.design import Design, load_design
from infragate.inventory import COLLECTORS, Scope, collect
from infragate.policy import breaches, check_live, policy_rules
from infragate.reporting import FindingsReport, render_csv, render_json, render_junit, render_sarif
from infragate.settings import load_settings

RENDERERS = {
    FindingsFormat.JSON: render_json,
    FindingsFormat.SARIF: render_sarif,
    FindingsFormat.JUNIT: render_junit,
    FindingsFormat.CSV: render_csv,
}


def _connect(
    design: Design | None, env: str | None, endpoint: str | None, regions: list[str]
) -> tuple[AwsConnection, tuple[str, ...]]:
    settings = load_settings()
    if design is not None and env is not None:
        environment = design.environment(env).settings
        return targets.environment(settings, environment), (environment.region,)
    chosen = tuple(dict.fromkeys(regions)) or (targets.DEFAULT_REGION,)
    if endpoint is not None:
        return targets.endpoint(settings, endpoint, chosen[0]), chosen
    return targets.embedded(settings, chosen[0]), chosen


def audit(
    env: str | None = typer.Option(
        None, "--env", "-e", help="Audit this environment of the design: its AWS target, region and settings."
    ),
    design_file: Path = typer.Option(
        Path("infragate.yaml"), "--design", "-d", help="The design file that defines --env.", show_default=True
    ),
    endpoint: str | None = typer.Option(
        None, "--endpoint", help="Audit the AWS-compatible API at this URL instead (e.g. http://127.0.0.1:4566)."
    ),
    regions: list[str] = typer.Option(
        [], "--region", "-r", help="Region to audit; repeat for several (default us-east-1). Not with --env."
    ),
    scope: str | None = typer.Option(
        None,
        "--scope",
        help="'project': only resources tagged for the design's project and --env (the default with --env); "
        "'account': everything (the default otherwise).",
    ),
    output_format: FindingsFormat = typer.Option(
        FindingsFormat.TABLE, "--format", "-f", help="table for people; json, sarif, junit or csv for machines."
    ),
    fail_on: FailOn = typer.Option(
        FailOn.INFO, "--fail-on", help="Exit 1 when a failing finding is at least this severe ('none': never)."
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report here instead of stdout."),
    show_passed: bool = typer.Option(False, "--show-passed", help="With --format table, list passing checks too."),
    parallelism: int = typer.Option(8, "--parallelism", min=1, max=64, help="Services and regions read at once."),
) -> None:
    """Inventory a live AWS account and check it against the policy rules.

    Reads EC2 (instances, Elastic IPs, VPCs, subnets, security groups), RDS, S3, CloudFront, Route 53,
    Shield, CloudWatch alarms and AWS Backup, all services in parallel, then runs every rule that makes
    sense on a live account, including SHD-006: every instance with a public address must be covered by
    Shield Advanced through its Elastic IP, and each one fails when the account has no subscription.

    Without --env or --endpoint it audits embedded AWS (started on demand), as production.

    A service that cannot be read is an error finding (INV-001), and the rules that need it report
    "not evaluated" instead of passing. Exit 1 when a failing or error finding is at least --fail-on;
    exit 3 when AWS cannot be used at all (unreachable, no credentials, wrong account).

    Examples:

      infragate audit

      infragate audit --env production -d examples/webshop/infragate.yaml --format sarif -o audit.sarif

      infragate audit --endpoint http://127.0.0.1:4566 --region eu-west-1 --region us-east-1 --format csv
    """
    require(
        env is None or endpoint is None,
        "--env and --endpoint cannot be combined",
        "--env audits the AWS the environment names; use --endpoint alone for another API.",
    )
    require(
        env is None or not regions,
        "--region cannot be combined with --env",
        "The environment's region comes from the design file.",
    )
    require(scope in (None, "account", "project"), f"--scope is '{scope}'", "Use --scope account or --scope project.")
    require(
        scope != "project" or env is not None,
        "--scope project needs --env",
        "Project scope keeps resources tagged infragate:project and infragate:env, so it needs an environment.",
    )
    require(
        endpoint is None or endpoint.startswith(("http://", "https://")),
        f"--endpoint '{endpoint}' is not an http(s) URL",
        "Write it like http://127.0.0.1:4566.",
    )
    design = load_design(design_file) if env is not None else None
    connection, audited_regions = _connect(design, env, endpoint, regions)
    by_project = design is not None and env is not None and scope != "account"
    chosen_scope = Scope(design.project.name, env) if by_project and design is not None else Scope()

    err.print(f"Auditing [bold]{connection.spec.describe()}[/bold]: {chosen_scope.describe()}")
    with CollectorProgress(err) as progress:
        snapshot = collect(
            connection, COLLECTORS, chosen_scope, regions=audited_regions, progress=progress, parallelism=parallelism
        )
    findings = check_live(snapshot, design=design, environment=env)
    report = FindingsReport(
        command="audit",
        source=f"{connection.spec.describe()}, account {snapshot.account}, {chosen_scope.describe()}",
        digest=design.digest if design is not None else None,
        rules=policy_rules(),
        findings=tuple(findings),
        artifact=str(design_file) if design is not None else None,
    )
    if output_format is FindingsFormat.TABLE:
        if output is not None:
            emit(render_json(report), output)
        render.findings_table(report, show_passed=show_passed)
        render.service_summary(report)
    else:
        emit(RENDERERS[output_format](report), output)
    render.summary_line(report)
    if breaches((item.finding for item in findings), fail_on.threshold()):
        raise typer.Exit(ExitCode.FINDINGS)
