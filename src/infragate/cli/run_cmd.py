"""``infragate run``: every automated stage in policy order, stopping at the first gate a person must pass.

validate → docs → (design gate) → plan → apply → verify → audit → gate status → compliance report.
Everything is recorded in the store; the summary says who must do what next.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from infragate.cli import identity, targets
from infragate.cli.audit_cmd import record_audit
from infragate.cli.console import err, out, write_atomically
from infragate.cli.design_cmd import write_docs
from infragate.cli.exit_codes import ExitCode
from infragate.cli.progress import ChangeProgress, CollectorProgress
from infragate.design import load_design
from infragate.policy import Status, check_design, check_live
from infragate.provision import service
from infragate.provision.executor import Status as ChangeStatus
from infragate.reporting import render_compliance_html
from infragate.settings import load_settings
from infragate.workflow.stages import Stage


@dataclass
class Step:
    name: str
    ok: bool
    detail: str


class RunHaltedError(Exception):
    """The run cannot go on: a person must act (or AWS failed); carries the exit code."""

    def __init__(self, code: ExitCode) -> None:
        self.code = code


def run(
    file: Path = typer.Argument(..., help="The design file."),
    env: str = typer.Option(..., "--env", "-e", help="The environment to take through the stages."),
) -> None:
    """Run every automated stage of the policy for one environment, in order, and stop at the first gate
    that needs a person, saying who must do what.

    validate -> docs -> plan -> apply -> verify -> audit -> gate status, then the HTML compliance report.
    Everything is recorded in the store. A second run finds nothing to change.

    Exit 0 when every automated stage ran; 1 when a person must act first; 3 when AWS failed.

    Example:

      infragate run examples/webshop/infragate.yaml --env staging
    """
    from infragate.workflow.report import compliance_report  # the store (SQLAlchemy): only when running

    design = load_design(file)
    settings = design.environment(env).settings
    home = load_settings().home
    flow = identity.workflow_for(design, identified=False)
    steps: list[Step] = []
    code = ExitCode.OK
    try:
        # 1. validate
        failing = [i for i in check_design(design, environment=env) if i.finding.status in (Status.FAIL, Status.ERROR)]
        steps.append(
            Step("validate", not failing, f"{len(failing)} failing finding(s)" if failing else "every rule passes")
        )
        if failing:
            err.print(f"the [bold]lead[/bold] must fix or waive {len(failing)} design finding(s):")
            err.print(f"  infragate design validate {file} --env {env}")
            raise RunHaltedError(ExitCode.FINDINGS)
        # 2. docs
        # every environment, not only this one: the docs index describes the whole design (one digest)
        index = write_docs(design, tuple(design.environments), home / "docs" / design.project.name, "html", flow)
        steps.append(Step("docs", True, str(index)))
        # 3. the design gate: people decide
        waiting = [c for c in flow.gate_report(env).results[Stage.DESIGN] if not c.met]
        if waiting:
            for criterion in waiting:
                err.print(
                    f"the [bold]{criterion.role.value}[/bold] role must act: {criterion.text} ({criterion.clause})"
                )
            steps.append(Step("design gate", False, "; ".join(c.text for c in waiting)))
            err.print(f"e.g. INFRAGATE_USER=<lead> infragate approve design --env {env} -d {file}")
            raise RunHaltedError(ExitCode.FINDINGS)
        steps.append(Step("design gate", True, "approved for this digest"))
        # 4. plan
        connection = targets.environment(load_settings(), settings)
        err.print(f"Reading [bold]{connection.spec.describe()}[/bold]")
        with CollectorProgress(err) as progress:
            snapshot = service.read_live(connection, design, env, progress)
        plan = service.make_plan(design, env, snapshot)
        flow.record_run(env, "plan", succeeded=True, summary={"plan": plan.digest, "pending": len(plan.pending)})
        steps.append(Step("plan", True, f"{len(plan.pending)} change(s), {plan.digest[:19]}…"))
        if plan.pending and settings.requires_approval and flow.plan_approver(plan.digest) is None:
            plan_file = home / "plans" / f"{design.project.name}-{env}.json"
            plan_file.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(plan_file, plan.to_json())
            err.print(f"the [bold]lead[/bold] role must approve the plan: infragate approve plan {plan_file} -d {file}")
            steps.append(Step("apply", False, "waiting for a lead to approve the plan"))
            raise RunHaltedError(ExitCode.FINDINGS)
        # 5. apply
        if plan.pending:
            with ChangeProgress(err, len(plan.pending)) as changes:
                result = service.apply(plan, connection, design, snapshot, progress=changes)
            flow.record_changes(env, "apply", plan.digest, result)
            counts = {s.value: sum(1 for o in result.outcomes if o.status is s) for s in ChangeStatus}
            steps.append(Step("apply", result.succeeded, ", ".join(f"{n} {s}" for s, n in counts.items() if n)))
            if not result.succeeded:
                raise RunHaltedError(ExitCode.INTERRUPTED if result.interrupted else ExitCode.AWS)
            snapshot = service.read_live(connection, design, env)
        else:
            flow.record_run(env, "apply", succeeded=True, summary={"plan": plan.digest, "outcomes": {}})
            steps.append(Step("apply", True, "nothing to change"))
        # 6. verify
        verification = service.verify(connection, design, env, snapshot)
        flow.record_verification(env, verification)
        steps.append(Step("verify", verification.aligned, "live == design" if verification.aligned else "not aligned"))
        if not verification.aligned:
            raise RunHaltedError(ExitCode.FINDINGS)
        # 7. audit: the project's snapshot read for verify is current (verify changes nothing), so the
        # audit judges it instead of reading every service again
        findings = check_live(snapshot, design=design, environment=env)
        record_audit(design, env, findings)
        failing_live = [f for f in findings if f.finding.failing]
        judged = sum(1 for f in findings if f.finding.status is not Status.NOT_APPLICABLE)
        steps.append(Step("audit", not failing_live, f"{judged} checks, {len(failing_live)} failing or unreadable"))
        if failing_live:
            # Any failing or unreadable live finding is a non-compliance someone must resolve (ICP-4.4).
            err.print(f"the [bold]security[/bold] role must review {len(failing_live)} live finding(s):")
            err.print(f"  infragate audit --env {env} -d {file}")
            raise RunHaltedError(ExitCode.FINDINGS)
    except RunHaltedError as stop:
        code = stop.code
    # 8. gates and the report, whatever happened
    report = flow.gate_report(env)
    report_path = home / "reports" / f"{design.project.name}-{env}.html"
    report_path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(report_path, render_compliance_html(compliance_report(flow, env)))
    _summary(steps, report.stage.value)
    person = next((c for c in report.unmet() if c.needs_person), None)
    if person is not None:
        err.print(f"next: the [bold]{person.role.value}[/bold] role — {person.text} ({person.clause})")
    waiting = [c for c in report.unmet() if not c.needs_person and "no evidence yet" in c.detail]
    if waiting:
        err.print(f'{len(waiting)} criteria wait for capabilities infragate does not have yet ("no evidence yet")')
    out.print(f"report: {report_path}")
    out.print(f"docs:   {home / 'docs' / design.project.name / 'index.html'}")
    if code is not ExitCode.OK:
        raise typer.Exit(code)


def _summary(steps: list[Step], stage: str) -> None:
    table = Table(title=f"infragate run: stage now {stage}", expand=False)
    for column in ("Step", "Result", "Detail"):
        table.add_column(column, overflow="fold")
    for step in steps:
        table.add_row(
            step.name, Text("ok", style="green") if step.ok else Text("stopped", style="bold red"), step.detail
        )
    out.print(table)
