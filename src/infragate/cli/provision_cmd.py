"""``infragate plan|apply|verify|destroy`` and ``infragate approve plan``: make AWS match the design."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table
from rich.text import Text

from infragate.cli import identity, options
from infragate.cli.client import TerminalView, for_design
from infragate.cli.console import emit, err, out, write_atomically
from infragate.cli.exit_codes import ExitCode
from infragate.errors import UsageError
from infragate.provision.executor import Result, Status
from infragate.provision.plan import Action, Plan

if TYPE_CHECKING:  # for annotations only: importing it at run time would load boto3 or SQLAlchemy
    from infragate.workflow.provisioning import Applied

ENV = typer.Option(..., "--env", "-e", help="The environment of the design to work on.")
FORMAT = typer.Option("table", "--format", "-f", help="table (people) or json (machines).")
ACTION_STYLE = {
    Action.CREATE: "green",
    Action.UPDATE: "yellow",
    Action.REPLACE: "bold magenta",
    Action.DELETE: "bold red",
    Action.NOOP: "dim",
}
STATUS_STYLE = {
    Status.DONE: "green",
    Status.FAILED: "bold red",
    Status.SKIPPED: "red",
    Status.CANCELLED: "dim",
}


def _format(value: str) -> str:
    if value not in ("table", "json"):
        raise UsageError(f"--format is '{value}'", hint="Use --format table or --format json.")
    return value


def _value(value: object) -> str:
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:77] + "…"


def _show_plan(plan: Plan, *, title: str) -> None:
    table = Table(title=title, expand=False)
    for column in ("Action", "Resource", "Attribute", "Before", "After"):
        table.add_column(column, overflow="fold")
    for change in plan.pending:
        style = ACTION_STYLE[change.action]
        first = True
        for attribute in change.attributes or ():
            marker = " (forces replacement)" if attribute.forces_replacement else ""
            table.add_row(
                Text(change.action.value if first else "", style=style),
                change.key if first else "",
                attribute.attribute + marker,
                "" if attribute.before is None else _value(attribute.before),
                "" if attribute.after is None else _value(attribute.after),
            )
            first = False
        if first:
            table.add_row(Text(change.action.value, style=style), change.key, "", "", "")
    if plan.pending:
        out.print(table)
    counts = {action: sum(1 for c in plan.changes if c.action is action) for action in Action}
    summary = ", ".join(
        f"{counts[a]} to {a.value}" if a is not Action.NOOP else f"{counts[a]} unchanged" for a in Action
    )
    err.print(f"[bold]Plan[/bold] {plan.digest[:19]}…: {summary}")
    for note in plan.notes:
        err.print(f"[yellow]note:[/yellow] {note}")


def plan(
    env: str = ENV,
    design_file: Path | None = identity.DESIGN,
    out_file: Path | None = typer.Option(None, "--out", help="Write the plan here, for review, approval and apply."),
    output_format: str = FORMAT,
) -> None:
    """Show what apply would change so that AWS matches the design: create, update, replace, delete.

    Reads the live resources tagged infragate:project/infragate:env and diffs them with the design, attribute by
    attribute; computing the diff makes no AWS calls beyond that read. Exit 0 when nothing would change, 1 when
    something would (like `terraform plan -detailed-exitcode`).

    Examples:

      infragate plan --env staging -d examples/webshop/infragate.yaml

      infragate plan --env production --out plan.json
    """
    from infragate.workflow.provisioning import MakePlan

    _format(output_format)
    with ExitStack() as stack:
        client, chosen = for_design(design_file, view=TerminalView(), stack=stack)
        result = client.execute(MakePlan(project=chosen.project, environment=env)).plan
    if out_file is not None:
        write_atomically(out_file, result.to_json())
    if output_format == "json":
        emit(result.to_json(), None)
        err.print(f"Plan {result.digest[:19]}…: {len(result.pending)} change(s)")
    else:
        _show_plan(result, title=f"Plan for {chosen.project}/{env}")
    if result.pending:
        raise typer.Exit(ExitCode.FINDINGS)


def _report(result: Result) -> None:
    table = Table(title="Outcome of every change", expand=False)
    for column in ("Status", "Resource", "Action", "Seconds", "Detail"):
        table.add_column(column, overflow="fold")
    for outcome in result.outcomes:
        table.add_row(
            Text(outcome.status.value, style=STATUS_STYLE[outcome.status]),
            outcome.change.key,
            outcome.change.action.value,
            f"{outcome.seconds:.1f}" if outcome.status.ok else "",
            outcome.message,
        )
    if result.outcomes:
        out.print(table)
    counts = {status: sum(1 for o in result.outcomes if o.status is status) for status in Status}
    err.print("[bold]Applied[/bold]: " + ", ".join(f"{n} {s.value}" for s, n in counts.items() if n))


def _outcome(applied: Applied) -> None:
    """Show what an apply or destroy did, and exit as it ended."""
    if applied.declined:
        raise typer.Exit(ExitCode.FINDINGS)
    if applied.approver is not None:
        err.print(f"Approved by {applied.approver} (lead)")
    _report(applied.result)
    if applied.result.interrupted:
        err.print(
            "[bold]interrupted[/bold]: running changes finished, the rest were not started; apply again to go on."
        )
        raise typer.Exit(ExitCode.INTERRUPTED)
    if not applied.result.succeeded:
        err.print("Some changes did not succeed; fix the cause shown and apply again: it continues where it stopped.")
        raise typer.Exit(ExitCode.AWS)


def apply(
    env: str = ENV,
    design_file: Path | None = identity.DESIGN,
    plan_file: Path | None = typer.Option(None, "--plan", help="Apply this reviewed plan (refused if it is stale)."),
    parallelism: int = typer.Option(8, "--parallelism", min=1, max=64, help="Changes carried out at once."),
    yes: bool = options.YES,
    lock_timeout: str = options.LOCK_TIMEOUT,
) -> None:
    """Create, change and delete AWS resources so that the environment matches its design.

    Changes run in dependency order (network, security groups, instances and EIPs, databases, buckets,
    distributions, DNS, Shield, alarms, backup), independent ones in parallel. A failed change stops the
    changes that need it; the rest finish. Re-running converges: existing resources are found by their tags.

    One writer at a time: apply holds the environment's lock while it reads and changes AWS. A second apply
    fails at once naming the holder, or waits with --lock-timeout.

    Environments with requires_approval apply only a plan file whose digest a lead approved
    (`infragate approve plan`, as a lead).

    Exit 0 done, 1 declined, 2 refused (stale or unapproved plan), 3 a change failed, 6 locked, 130 Ctrl-C.

    Examples:

      infragate apply --env staging -d examples/webshop/infragate.yaml --yes

      infragate plan --env production --out plan.json && infragate approve plan plan.json

      infragate apply --env production --plan plan.json --lock-timeout 10m
    """
    from infragate.workflow.provisioning import Apply

    reviewed = _read_file(plan_file) if plan_file is not None else None
    wait = options.duration(lock_timeout)
    view = TerminalView(assume_yes=yes)
    with ExitStack() as stack:
        client, chosen = for_design(design_file, view=view, stack=stack)
        view.show_plan = lambda plan, _destroy: _show_plan(plan, title=f"Changes to apply to {chosen.project}/{env}")
        applied = client.execute(
            Apply(
                project=chosen.project,
                environment=env,
                plan=reviewed,
                plan_source=str(plan_file),
                parallelism=parallelism,
                lock_timeout_s=wait,
            )
        )
    if not applied.plan.pending:
        err.print("Nothing to do: the environment matches its design.")
        return
    _outcome(applied)


def destroy(
    env: str = ENV,
    design_file: Path | None = identity.DESIGN,
    yes: bool = options.YES,
    parallelism: int = typer.Option(8, "--parallelism", min=1, max=64, help="Changes carried out at once."),
    lock_timeout: str = options.LOCK_TIMEOUT,
) -> None:
    """Delete everything the project owns in the environment, in reverse dependency order.

    Removes Shield protections of the project's resources but never the account's Shield subscription.
    Production databases get a final snapshot first. Holds the environment's lock, like apply.

    Example:

      infragate destroy --env staging -d examples/webshop/infragate.yaml --yes
    """
    from infragate.workflow.provisioning import Destroy

    wait = options.duration(lock_timeout)
    view = TerminalView(assume_yes=yes)
    with ExitStack() as stack:
        client, chosen = for_design(design_file, view=view, stack=stack)
        title = f"Resources of {chosen.project}/{env} to delete"
        view.show_plan = lambda plan, _destroy: _show_plan(plan, title=title)
        destroyed = client.execute(
            Destroy(project=chosen.project, environment=env, parallelism=parallelism, lock_timeout_s=wait)
        )
    if not [c for c in destroyed.plan.pending if c.kind.value != "shield"]:
        err.print("Nothing to destroy: the project owns no resources in this environment.")
        return
    _outcome(destroyed)


def verify(env: str = ENV, design_file: Path | None = identity.DESIGN, output_format: str = FORMAT) -> None:
    """Check that the live environment matches its design (ICP-2.3) and that Shield covers every public EC2
    instance in the account (ICP-4.2). Exit 1 when anything is not aligned.

    Each component is reported as matches, differs (with the attributes), missing, or unexpected (tagged for
    the project but not in the design).

    Examples:

      infragate verify --env staging -d examples/webshop/infragate.yaml

      infragate verify --env production --format json
    """
    from infragate.workflow.provisioning import Verify

    _format(output_format)
    with ExitStack() as stack:
        client, chosen = for_design(design_file, view=TerminalView(), stack=stack)
        result = client.execute(Verify(project=chosen.project, environment=env)).verification
    if output_format == "json":
        document = {
            "project": chosen.project,
            "environment": env,
            "aligned": result.aligned,
            "components": [
                {**change.to_json(), "alignment": result.alignment(change).value} for change in result.plan.changes
            ],
            "shield": {
                "subscribed": result.shield_subscribed,
                "public_instances": [i.id for i in result.public_instances],
                "uncovered": [{"instance": i.id, "public_ip": i.public_ip} for i in result.uncovered()],
            },
        }
        emit(json.dumps(document, indent=2) + "\n", None)
    else:
        table = Table(title=f"{chosen.project}/{env}: live vs design", expand=False)
        for column in ("Component", "Alignment", "Attributes"):
            table.add_column(column, overflow="fold")
        for change in result.plan.changes:
            alignment = result.alignment(change)
            detail = ", ".join(a.attribute for a in change.attributes) if alignment.value == "differs" else ""
            if change.unknown:
                detail += f"{'; ' if detail else ''}not verifiable here: {', '.join(change.unknown)}"
            style = "green" if alignment.value == "matches" else "bold red"
            table.add_row(change.key, Text(alignment.value, style=style), detail)
        out.print(table)
        uncovered = result.uncovered()
        err.print(
            f"Shield: {len(result.public_instances)} EC2 instance(s) with a public address in the account, "
            f"{len(uncovered)} not covered" + ("" if result.shield_subscribed else " (no Shield Advanced subscription)")
        )
        for instance in uncovered:
            err.print(f"  [red]✗[/red] {instance.id} ({instance.public_ip}, group {instance.group})")
    for note in result.plan.notes:
        err.print(f"[yellow]note:[/yellow] {note}")
    err.print("[bold green]aligned[/bold green]" if result.aligned else "[bold red]not aligned[/bold red]")
    if not result.aligned:
        raise typer.Exit(ExitCode.FINDINGS)


def _read_file(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}", hint="Check the path of the plan file.") from None


def approve_plan(
    plan_file: Path = typer.Argument(..., help="The plan written by `infragate plan --out`."),
    design_file: Path | None = identity.DESIGN,
    comment: str = typer.Option("", "--comment", "-m"),
    acting_as: str | None = identity.AS,
) -> None:
    """Approve exactly this plan (its digest) as a lead, so apply may carry it out (ICP-1.4).

    Example:

      INFRAGATE_USER=lena.lead@example.com infragate approve plan plan.json -m 'looked at every change'
    """
    from infragate.workflow.approvals import ApprovePlan

    reviewed = Plan.from_json(_read_file(plan_file), str(plan_file))
    client, chosen = for_design(design_file, acting_as=acting_as)
    if reviewed.project != chosen.project:
        raise UsageError(f"{plan_file} is a plan for {reviewed.project}, not {chosen.project}")
    approving = ApprovePlan(
        project=reviewed.project, environment=reviewed.environment, digest=reviewed.digest, comment=comment
    )
    client.execute(approving)
    out.print(f"plan {reviewed.digest[:19]}… for {reviewed.project}/{reviewed.environment} approved")
