"""``infragate cicd``: the defined workflow of ICP-3.1 (init, check, apply-github), the pipeline's deploy
reports (report) and the deployments signed webhooks recorded (deployments); ``infragate approve github``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from infragate.cli import identity
from infragate.cli.client import for_design, target
from infragate.cli.console import emit, err, out
from infragate.cli.exit_codes import ExitCode
from infragate.errors import UsageError

if TYPE_CHECKING:
    from infragate.workflow.cicd_work import GitHubPlanOut

app = typer.Typer(
    help="Deployments through CircleCI and GitHub (ICP-3.1): write the policy's pipeline, check a repository "
    "and its GitHub settings against it, set GitHub up, and see the deployments webhooks recorded.",
    no_args_is_help=True,
)
REPO = typer.Option(Path(), "--repo", help="The repository's root (where .circleci/ goes).")


@app.command("init")
def init(
    repo: Path = REPO,
    design_file: Path | None = identity.DESIGN,
    force: bool = typer.Option(False, "--force", help="Overwrite a config that differs (its diff is shown first)."),
) -> None:
    """Write .circleci/config.yml: the policy's pipeline, for CircleCI.

    The pipeline (CircleCI 2.1): the project's tests, design validation (JUnit and SARIF), deploy to each
    non-production environment, its infrastructure tests, stress test and OWASP scan (run by
    the infragate server's workers), a lead's approval, deploy to production and its tests. Only the default
    branch deploys; secrets come from CircleCI contexts; images are pinned. Re-running it on an edited file
    shows the diff and keeps the file unless --force.

    Examples:

      infragate cicd init --repo . -d infragate.yaml

      infragate cicd init --repo ../webshop --force
    """
    from infragate.workflow.cicd_work import init_config

    # a file in a repository, from the design alone: no store, no evidence, the same in team mode
    outcome = init_config(target(design_file).loaded(), repo, force=force)
    if outcome.status == "unchanged":
        out.print(f"{outcome.path} already is the defined workflow", markup=False)
        return
    if outcome.diff:
        out.print(outcome.diff, markup=False, highlight=False, end="", soft_wrap=True)
    if outcome.status == "refused":
        err.print(
            f"error: {outcome.path} differs from the defined workflow (the diff is above); kept as it is",
            markup=False,
        )
        err.print("hint: Re-run with --force to overwrite it, or merge the changes by hand.", markup=False)
        raise typer.Exit(ExitCode.FINDINGS)
    out.print(f"wrote {outcome.path}", markup=False)


@app.command("check")
def check(
    env: str = typer.Option(..., "--env", "-e", help="The environment whose findings these become."),
    repo: Path | None = typer.Option(None, "--repo", help="The repository's root, to check its CircleCI config."),
    design_file: Path | None = identity.DESIGN,
    output_format: str = typer.Option("table", "--format", "-f", help="table or json"),
) -> None:
    """Check a repository's CircleCI config and GitHub settings against the policy's pipeline.

    The config is read from --repo, GitHub through its API (INFRAGATE_GITHUB_TOKEN). Each problem becomes an
    ICP-3.1 finding of the environment. A part that
    could not be read is reported "not evaluated", never passed. Exit 1 when a problem is found or a part was
    not evaluated.

    Examples:

      infragate cicd check --env staging --repo .

      INFRAGATE_GITHUB_TOKEN=… infragate cicd check --env production --repo . --format json
    """
    from infragate.workflow.cicd_work import CheckCicd

    if output_format not in ("table", "json"):
        raise UsageError(f"--format is '{output_format}'", hint="Use table or json.")
    client, chosen = for_design(design_file)
    outcome = client.execute(CheckCicd(project=chosen.project, environment=env, repo=str(repo) if repo else None))
    not_evaluated = list(outcome.not_evaluated.items())
    if output_format == "json":
        body = {
            "problems": [p.model_dump() for p in outcome.problems],
            "not_evaluated": [{"part": part, "because": why} for part, why in not_evaluated],
        }
        emit(json.dumps(body, indent=2) + "\n", None)
    else:
        table = Table("check", "severity", "where", "problem", title=f"ICP-3.1 · {env}")
        for problem in outcome.problems:
            table.add_row(*(escape(cell) for cell in (problem.check, problem.severity, problem.where,
                                                       f"{problem.title}. {problem.detail}")))  # fmt: skip
        if outcome.problems:
            out.print(table)
        for part in ("config", "github"):
            if part not in {p for p, _ in not_evaluated} and not any(
                p.check.startswith("CICD-0" if part == "config" else "CICD-1") for p in outcome.problems
            ):
                out.print(f"{part}: follows the defined workflow", markup=False)
        for part, why in not_evaluated:
            out.print(f"{part}: not evaluated ({why})", markup=False)
    if outcome.problems or not_evaluated:
        raise typer.Exit(ExitCode.FINDINGS)


@app.command("apply-github")
def apply_github(
    design_file: Path | None = identity.DESIGN,
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the plan and its digest; change nothing."),
    acting_as: str | None = identity.AS,
) -> None:
    """Protect the default branch and production on GitHub, as a plan a lead approves.

    It sets the default branch's protection (the CircleCI checks, one review, no force-push or deletion) and
    each production environment's required reviewers (the project's leads) through the GitHub API. Like
    AWS changes: read the plan (--dry-run), a lead approves it (`infragate approve github`), then a lead or
    infra applies it. A change on GitHub in between gives another plan, which needs its own approval.

    Examples:

      infragate cicd apply-github --dry-run

      INFRAGATE_USER=lena.lead@example.com infragate approve github -m 'checked the reviewers'

      INFRAGATE_USER=ivan.infra@example.com infragate cicd apply-github
    """
    from infragate.workflow.cicd_work import ApplyGitHubPlan, GetGitHubPlan

    client, chosen = for_design(design_file, acting_as=acting_as)
    if dry_run:
        _show_plan(client.execute(GetGitHubPlan(project=chosen.project)))
        return
    plan = client.execute(ApplyGitHubPlan(project=chosen.project))
    if not plan.changes:
        out.print("GitHub already follows the workflow: nothing to change", markup=False)
        return
    for change in plan.changes:
        out.print(f"applied: {change.what} (PUT {change.path})", markup=False)


def approve_github(
    design_file: Path | None = identity.DESIGN,
    comment: str = typer.Option("", "--comment", "-m"),
    acting_as: str | None = identity.AS,
) -> None:
    """Approve, as a lead, the GitHub changes `infragate cicd apply-github` would make now (by digest).

    Example:

      INFRAGATE_USER=lena.lead@example.com infragate approve github -m 'reviewers are the leads'
    """
    from infragate.workflow.cicd_work import ApproveGitHubPlan

    client, chosen = for_design(design_file, acting_as=acting_as)
    plan = client.execute(ApproveGitHubPlan(project=chosen.project, comment=comment))
    _show_plan(plan)
    out.print(f"GitHub plan {plan.digest[:19]}… approved", markup=False)


def _show_plan(plan: GitHubPlanOut) -> None:
    if not plan.changes:
        out.print(f"GitHub ({plan.repository}) already follows the workflow: nothing to change", markup=False)
        return
    out.print(f"GitHub plan for {plan.repository}, digest {plan.digest}", markup=False)
    for change in plan.changes:
        out.print(f"  PUT {change.path}: {change.what}", markup=False)
        for why in change.why:
            out.print(f"      because {why}", markup=False)
        out.print("      " + json.dumps(change.body, sort_keys=True), markup=False, soft_wrap=True)


@app.command("report")
def report(
    env: str = typer.Option(..., "--env", "-e", help="The environment being deployed."),
    state: str = typer.Option(..., "--state", help="in_progress, success, failure or error."),
    sha: str = typer.Option(..., "--sha", help="The commit ($CIRCLE_SHA1)."),
    url: str = typer.Option("", "--url", help="The pipeline job ($CIRCLE_BUILD_URL)."),
    workflow: str = typer.Option("", "--workflow", help="The CircleCI workflow id ($CIRCLE_WORKFLOW_ID)."),
    design_file: Path | None = identity.DESIGN,
) -> None:
    """Report a deploy step of the pipeline (the generated pipeline runs it).

    infragate creates the GitHub deployment of the commit and adds this status (when INFRAGATE_GITHUB_TOKEN is
    set on the server). The generated pipeline runs it
    with INFRAGATE_SERVER and INFRAGATE_TOKEN from its context; the gate counts GitHub's signed webhook that
    follows, never this report itself.

    Example:

      infragate cicd report --env staging --state success --sha "$CIRCLE_SHA1" --url "$CIRCLE_BUILD_URL"
    """
    from infragate.workflow.deployments import ReportDeployStep

    client, chosen = for_design(design_file)
    reported = ReportDeployStep(
        project=chosen.project, environment=env, sha=sha, state=state, url=url, workflow=workflow
    )
    out.print(client.execute(reported).detail, markup=False)


@app.command("deployments")
def deployments(
    env: str = typer.Option(..., "--env", "-e", help="The environment."),
    design_file: Path | None = identity.DESIGN,
) -> None:
    """The deployments signed webhooks recorded for the environment (ICP-3.1's evidence).

    Newest first: the commit, how it ended, whether its pipeline was seen to pass every stage before the
    deploy, and who.

    Example:

      infragate cicd deployments --env staging
    """
    from infragate.workflow.design_review import ListDeployments
    from infragate.workflow.records import DeploySummary

    table = Table("when", "commit", "state", "stages", "by", "source", title=f"deployments · {env}")
    client, chosen = for_design(design_file)
    for run in client.execute(ListDeployments(project=chosen.project, environment=env)):
        s = DeploySummary.model_validate(run.summary)
        stages = ("missing: " + ", ".join(s.stages_missing)) if s.stages_missing else "all"
        table.add_row(f"{run.started_at:%Y-%m-%d %H:%M}", s.sha[:12], s.state, stages, s.actor, f"{s.source} webhook")
    out.print(table if table.row_count else f"no deployment of {env} recorded yet")
