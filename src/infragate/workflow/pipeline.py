"""The main job as a use-case: every automated stage of the policy for one environment, in policy order, as
a sequence of the same commands every front end runs, stopping at the first point where a person must act
(and saying who), or where AWS failed.

validate → docs (every environment: one design, one document) → design gate → apply (under the lock; an
approved plan where required) → verify → audit (of what verify read) → infrastructure tests (its workload
started first on embedded AWS) → stress test (when the environment declares `stress:`) → OWASP scan → gates →
compliance report.
"""

from __future__ import annotations

import os
from enum import StrEnum

from infragate.files import write_atomically
from infragate.infratest.results import Verdict
from infragate.policy import LocatedFinding, Status
from infragate.provision.executor import Status as ChangeStatus
from infragate.reporting import render_compliance_html
from infragate.workflow.audits import Audit
from infragate.workflow.bus import handle, handles
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.documents import WriteDocs
from infragate.workflow.gatekeeping import GateReport, judge
from infragate.workflow.messages import Command, Result
from infragate.workflow.project import ProjectWork, open_project
from infragate.workflow.provisioning import Apply, LocalResult, PlanApprovalNeededError, Verify
from infragate.workflow.roles import RoleError
from infragate.workflow.stages import Stage


class Outcome(StrEnum):
    DONE = "done"  # every automated stage ran
    WAITING = "waiting"  # a person must act first (or findings must be resolved)
    AWS_FAILED = "aws-failed"
    INTERRUPTED = "interrupted"


class Step(Result):
    name: str
    ok: bool
    detail: str


class Action(Result):
    """Who must do what before the pipeline can go on."""

    role: str
    what: str
    command: str = ""


class PipelineResult(LocalResult):
    steps: list[Step]
    actions: list[Action]
    outcome: Outcome
    gates: GateReport | None
    report_path: str | None
    docs_path: str | None
    findings: list[LocatedFinding]


class RunPipeline(Command[PipelineResult]):
    """Run every automated stage of the policy for one environment, in order (``design_file`` is how the
    person named the design, for the commands the result tells them to run)."""

    project: str
    environment: str
    design_file: str
    lock_timeout_s: float = 0.0


class _HaltError(Exception):
    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome


class _Run:
    def __init__(self, command: RunPipeline, caller: Caller, uow: UnitOfWork) -> None:
        self.command, self.caller, self.uow = command, caller, uow
        self.work: ProjectWork = open_project(uow, command.project, caller)
        self.env, self.file = command.environment, command.design_file
        self.steps: list[Step] = []
        self.actions: list[Action] = []
        self.findings: list[LocatedFinding] = []
        self.docs_path: str | None = None

    def step(self, name: str, ok: bool, detail: str) -> None:
        self.steps.append(Step(name=name, ok=ok, detail=detail))

    def act(self, role: str, what: str, command: str = "") -> None:
        self.actions.append(Action(role=role, what=what, command=command))


def _validate(run: _Run) -> None:
    failing = [i for i in run.uow.design_findings(run.work.design, run.env) if i.finding.failing]
    run.step("validate", not failing, f"{len(failing)} failing finding(s)" if failing else "every rule passes")
    if failing:
        run.act(
            "lead",
            f"fix or waive {len(failing)} design finding(s)",
            f"infragate design validate {run.file} --env {run.env}",
        )
        raise _HaltError(Outcome.WAITING)


def _document(run: _Run) -> None:
    # Every environment: the docs index describes the whole design (one digest), not only this environment.
    documented = handle(WriteDocs(project=run.work.name), run.caller, run.uow)
    run.docs_path = documented.index
    run.step("docs", True, documented.index)
    waiting = [c for c in judge(run.work, run.env).results[Stage.DESIGN] if not c.met]
    if waiting:
        run.step("design gate", False, "; ".join(c.text for c in waiting))
        for criterion in waiting:
            run.act(
                criterion.role.value,
                f"{criterion.text} ({criterion.clause})",
                f"INFRAGATE_USER=<{criterion.role.value}> infragate approve design --env {run.env} -d {run.file}",
            )
        raise _HaltError(Outcome.WAITING)
    run.step("design gate", True, "approved for this digest")


def _provision(run: _Run) -> None:
    apply = Apply(project=run.work.name, environment=run.env, purpose="run", lock_timeout_s=run.command.lock_timeout_s)
    try:
        applied = handle(apply, run.caller, run.uow)
    except PlanApprovalNeededError as waiting:
        plan_file = run.uow.settings.home / "plans" / f"{run.work.name}-{run.env}.json"
        plan_file.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(plan_file, waiting.plan.to_json())
        run.step("plan", True, f"{len(waiting.plan.pending)} change(s), {waiting.plan.digest[:19]}…")
        run.act("lead", "approve the plan", f"infragate approve plan {plan_file} -d {run.file}")
        run.step("apply", False, "waiting for a lead to approve the plan")
        raise _HaltError(Outcome.WAITING) from None
    plan = applied.plan
    run.step("plan", True, f"{len(plan.pending)} change(s), {plan.digest[:19]}…")
    if not plan.pending:
        run.step("apply", True, "nothing to change")
    else:
        counts = {s.value: sum(1 for o in applied.result.outcomes if o.status is s) for s in ChangeStatus}
        run.step("apply", applied.succeeded, ", ".join(f"{n} {s}" for s, n in counts.items() if n))
        if not applied.succeeded:
            raise _HaltError(Outcome.INTERRUPTED if applied.interrupted else Outcome.AWS_FAILED)
    verified = handle(Verify(project=run.work.name, environment=run.env), run.caller, run.uow)
    run.step("verify", verified.aligned, "live == design" if verified.aligned else "not aligned")
    if not verified.aligned:
        run.act("lead", "bring the environment back to its design", f"infragate verify --env {run.env} -d {run.file}")
        raise _HaltError(Outcome.WAITING)


def _audit(run: _Run) -> list[LocatedFinding]:
    # verify changes nothing, so the snapshot it read is current: the audit judges it, no second read
    audited = handle(Audit(project=run.work.name, environment=run.env), run.caller, run.uow)
    run.findings = audited.findings
    failing = [f for f in audited.findings if f.finding.failing]
    judged = sum(1 for f in audited.findings if f.finding.status is not Status.NOT_APPLICABLE)
    run.step("audit", not failing, f"{judged} checks, {len(failing)} failing or unreadable")
    return failing


def _test(run: _Run) -> bool | None:
    """ICP-3.2: start the environment's workload (embedded AWS) and test it. None when there is nothing."""
    from infragate.workflow.infra_testing import InfraTest
    from infragate.workload import process as workload

    env = run.work.design.environment(run.env).settings
    if not env.endpoints and not env.tests:
        run.step("test", False, "nothing to test: the environment declares no endpoint")
        return None
    if env.workload is not None and env.aws.embedded:
        running = workload.start(run.work.design, run.env, run.uow.settings.home)
        run.step("workload", True, f"serving on {running.https} (pid {running.pid})")
    tested = handle(InfraTest(project=run.work.name, environment=run.env), run.caller, run.uow)
    report = tested.report
    counts = ", ".join(f"{report.count(v)} {v.value}" for v in Verdict if report.count(v))
    run.step("test", report.passed, f"{counts} ({report.duration_ms / 1000:.1f} s)")
    return report.passed


def _stress(run: _Run) -> bool | None:
    """ICP-3.3: the environment's stress scenario at its peak load; None when it declares none (a stress test
    is load: it runs from `infragate run` only when the design asks for it with `stress:`)."""
    from infragate.workflow.stress_testing import StressOptions, StressTest

    if run.work.design.environment(run.env).settings.stress is None:
        return None
    workers = max(1, min(os.cpu_count() or 1, 2))
    testing = StressTest(project=run.work.name, environment=run.env, options=StressOptions(workers=workers))
    stressed = handle(testing, run.caller, run.uow)
    outcome = stressed.outcome
    hold = outcome.results.hold
    held = "nothing" if outcome.held_rps is None else f"{outcome.held_rps:g} requests/s"
    detail = (
        f"{held} held (target {outcome.scenario.peak_rps:g}): p95 {hold.p95 or 0:.1f} ms, p99 "
        f"{hold.p99 or 0:.1f} ms, {hold.errors} errors of {hold.count}"
    )
    if outcome.not_evaluated:
        detail = f"not evaluated, it measured nothing: {outcome.not_evaluated}"
    run.step("stress", outcome.passed, detail)
    return outcome.passed


def _scan(run: _Run) -> bool | None:
    """ICP-4.1: the OWASP scan of the declared endpoints; None when there is nothing to scan. A production scan
    is security's to run (it is refused for anyone else, and said so)."""
    from infragate.workflow.scanning import Scan

    if not run.work.design.environment(run.env).settings.endpoints:
        return None
    try:
        scanned = handle(Scan(project=run.work.name, environment=run.env), run.caller, run.uow)
    except RoleError as refused:
        run.step("scan", False, refused.message)
        return False
    report = scanned.report
    counts = ", ".join(f"{n} {s}" for s, n in report.counts().items() if n) or "no findings"
    severe = any(f.severity in ("critical", "high") for f in report.findings)
    state = "complete" if report.complete else "incomplete"
    run.step("scan", report.complete and not severe, f"{state}: {counts} ({report.duration_s:.0f} s)")
    return report.complete and not severe


@handles(RunPipeline)
def run_pipeline(command: RunPipeline, caller: Caller, uow: UnitOfWork) -> PipelineResult:
    from infragate.workflow.report import compliance_report  # the report: only when running

    run = _Run(command, caller, uow)
    outcome = Outcome.DONE
    try:
        _validate(run)
        _document(run)
        _provision(run)
        failing_live = _audit(run)
        tested = _test(run)
        if tested is not False:
            tested = _stress(run)
        scanned = _scan(run) if tested is not False else None
        if scanned is False:
            run.act(
                "security",
                "review what the OWASP scan found, or run the scan of production (ICP-4.1, ICP-4.4)",
                f"infragate scan --env {run.env} -d {run.file}",
            )
        if tested is False:
            run.act(
                "developer",
                "fix what the infrastructure tests or the stress test found (ICP-3.2, ICP-3.3)",
                f"infragate test --env {run.env} -d {run.file}; infragate stress --env {run.env}",
            )
        if failing_live:
            # Any failing or unreadable live finding is a non-compliance someone must resolve (ICP-4.4).
            run.act(
                "security",
                f"review {len(failing_live)} live finding(s)",
                f"infragate audit --env {run.env} -d {run.file}",
            )
            raise _HaltError(Outcome.WAITING)
        if tested is False or scanned is False:
            raise _HaltError(Outcome.WAITING)
    except _HaltError as halt:
        outcome = halt.outcome
    # the gates and the report, whatever happened
    gates = judge(run.work, run.env).report(run.work.name)
    report_path = uow.settings.home / "reports" / f"{run.work.name}-{run.env}.html"
    report_path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(report_path, render_compliance_html(compliance_report(run.work, run.env)), private=True)
    return PipelineResult(
        steps=run.steps,
        actions=run.actions,
        outcome=outcome,
        gates=gates,
        report_path=str(report_path),
        docs_path=run.docs_path,
        findings=run.findings,
    )
