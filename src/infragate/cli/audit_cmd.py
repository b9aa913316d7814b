"""``infragate audit``: read a live AWS account (or one project's part of it) and judge it by the policy."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import typer

from infragate.cli import identity, options, render
from infragate.cli.client import TerminalView, for_design, open_client
from infragate.cli.exit_codes import ExitCode
from infragate.cli.options import FailOn, FindingsFormat, require
from infragate.policy import breaches, policy_rules
from infragate.reporting import FindingsReport


class _AuditView(TerminalView):
    """Says what is audited while reading it."""

    def __init__(self) -> None:
        super().__init__(reading_label="Auditing")


def audit(
    env: str | None = typer.Option(
        None, "--env", "-e", help="Audit this environment of the design: its AWS target, region and settings."
    ),
    design_file: Path | None = identity.DESIGN,
    endpoint: str | None = typer.Option(
        None, "--endpoint", help="Audit the AWS-compatible API at this URL instead (e.g. http://127.0.0.1:4566)."
    ),
    regions: list[str] = typer.Option(
        [],
        "--region",
        "-r",
        help="Region to audit; repeat for several (default: the region of your AWS configuration, else "
        "us-east-1). Not with --env.",
    ),
    scope: str | None = typer.Option(
        None,
        "--scope",
        help="'project': only resources tagged for the design's project and --env (the default with --env); "
        "'account': everything (the default otherwise).",
    ),
    output_format: FindingsFormat = options.FORMAT,
    fail_on: FailOn = options.FAIL_ON,
    output: Path | None = options.OUTPUT,
    show_passed: bool = options.SHOW_PASSED,
    parallelism: int | None = typer.Option(
        None,
        "--parallelism",
        min=1,
        max=64,
        help="Services and regions read at once [default: 8 on AWS, 2 on embedded AWS or --endpoint].",
    ),
) -> None:
    """Inventory a live AWS account and check it against the policy rules.

    Reads EC2 (instances, EIPs, VPCs, subnets, security groups), RDS, S3, CloudFront, Route 53, Shield,
    CloudWatch alarms and AWS Backup, every service in parallel, then runs every rule that judges live accounts.

    SHD-006 fails each instance with a public address that Shield Advanced does not cover through its EIP.

    Without --env or --endpoint it audits embedded AWS (started on demand) as a production account.

    A service that cannot be read is an error finding (INV-001); rules that need it say "not evaluated".

    Exit 1 when a failing or error finding is at least --fail-on; exit 3 when AWS cannot be used at all.

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
    from infragate.workflow.audits import Audit

    view = _AuditView()
    with ExitStack() as stack:
        if env is not None:
            client, chosen = for_design(design_file, view=view, stack=stack)
            design = chosen.loaded()
            command = Audit(project=chosen.project, environment=env, project_scope=scope != "account")
        else:
            client, design = open_client(view=view, stack=stack), None
            command = Audit(endpoint=endpoint, regions=tuple(regions))
        result = client.execute(command.model_copy(update={"parallelism": parallelism}))
    findings, snapshot, chosen_scope = result.findings, result.snapshot, result.scope
    report = FindingsReport(
        command="audit",
        source=f"{result.target}, account {snapshot.account}, {chosen_scope.describe()}",
        digest=design.digest if design is not None else None,
        rules=policy_rules(),
        findings=tuple(findings),
        artifact=design.path if design is not None else None,
    )
    render.deliver(report, output_format, output, show_passed=show_passed, by_service=True)
    if breaches((item.finding for item in findings), fail_on.threshold()):
        raise typer.Exit(ExitCode.FINDINGS)
