"""The main job as a use-case: every automated stage of the policy for one environment, in policy order,
stopping at the first point where a person must act (and saying who), or where AWS failed.

validate → docs (every environment: one design, one document) → design gate → lock → read → plan →
(an approved plan, where required) → apply → verify → audit → infrastructure tests (its workload started
first on embedded AWS) → stress test (when the environment declares `stress:`) → gates → compliance report.

Front ends show progress through a ``PipelineView`` and render the returned ``PipelineResult``; the CLI, the
API and the workers call this same function.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from infragate.files import write_atomically
from infragate.infratest.results import Verdict
from infragate.inventory import Snapshot
from infragate.inventory.runner import Progress as ReadProgress
from infragate.policy import LocatedFinding, Status, check_design, check_live
from infragate.provision.executor import Progress as ChangeProgress
from infragate.provision.executor import Status as ChangeStatus
from infragate.reporting import render_compliance_html
from infragate.settings import Settings
from infragate.store.locks import LockInfo
from infragate.workflow.documents import write_docs
from infragate.workflow.provisioning import Provisioning
from infragate.workflow.roles import RoleError
from infragate.workflow.stages import Stage

if TYPE_CHECKING:
    from infragate.workflow.gatekeeping import GateReport
    from infragate.workflow.service import Workflow


class Outcome(StrEnum):
    DONE = "done"  # every automated stage ran
    WAITING = "waiting"  # a person must act first (or findings must be resolved)
    AWS_FAILED = "aws-failed"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class Step:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Action:
    """Who must do what before the pipeline can go on."""

    role: str
    what: str
    command: str = ""


@dataclass
class PipelineResult:
    steps: list[Step] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    outcome: Outcome = Outcome.DONE
    gate_report: GateReport | None = None
    report_path: Path | None = None
    docs_path: Path | None = None
    findings: list[LocatedFinding] = field(default_factory=list)


class PipelineView(Protocol):
    """How a front end shows long steps."""

    def drawing(self) -> AbstractContextManager[object]: ...
    def reading(self, target: str) -> AbstractContextManager[ReadProgress]: ...
    def changing(self, count: int) -> AbstractContextManager[ChangeProgress]: ...
    def waiting_for_lock(self, held: LockInfo) -> None: ...


class _HaltError(Exception):
    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome


def run_pipeline(
    flow: Workflow,
    settings: Settings,
    environment: str,
    view: PipelineView,
    *,
    design_file: str,
    lock_timeout_s: float = 0.0,
    on_embedded_start: Callable[[], None] | None = None,
) -> PipelineResult:
    from infragate.workflow.report import compliance_report  # the store (SQLAlchemy): only when running

    design = flow.design
    env = design.environment(environment).settings
    result = PipelineResult()
    steps = result.steps
    try:
        failing = [i for i in check_design(design, environment=environment) if i.finding.failing]
        steps.append(
            Step("validate", not failing, f"{len(failing)} failing finding(s)" if failing else "every rule passes")
        )
        if failing:
            result.actions.append(
                Action(
                    "lead",
                    f"fix or waive {len(failing)} design finding(s)",
                    f"infragate design validate {design_file} --env {environment}",
                )
            )
            raise _HaltError(Outcome.WAITING)
        # Every environment: the docs index describes the whole design (one digest), not only this environment.
        target = settings.home / "docs" / design.project.name
        result.docs_path = write_docs(flow, tuple(design.environments), target, "html", view.drawing)
        steps.append(Step("docs", True, str(result.docs_path)))
        waiting = [c for c in flow.gate_report(environment).results[Stage.DESIGN] if not c.met]
        if waiting:
            steps.append(Step("design gate", False, "; ".join(c.text for c in waiting)))
            for criterion in waiting:
                result.actions.append(
                    Action(
                        criterion.role.value,
                        f"{criterion.text} ({criterion.clause})",
                        f"INFRAGATE_USER=<{criterion.role.value}> infragate approve design --env {environment} "
                        f"-d {design_file}",
                    )
                )
            raise _HaltError(Outcome.WAITING)
        steps.append(Step("design gate", True, "approved for this digest"))
        provisioning = Provisioning(flow, settings, environment, on_embedded_start)
        with provisioning.writing("run", lock_timeout_s=lock_timeout_s, on_wait=view.waiting_for_lock) as writer:
            with view.reading(provisioning.connection.spec.describe()) as progress:
                snapshot = writer.read(progress)
            plan = provisioning.plan(snapshot)
            steps.append(Step("plan", True, f"{len(plan.pending)} change(s), {plan.digest[:19]}…"))
            if plan.pending and env.requires_approval and flow.plan_approver(plan.digest) is None:
                plan_file = settings.home / "plans" / f"{design.project.name}-{environment}.json"
                plan_file.parent.mkdir(parents=True, exist_ok=True)
                write_atomically(plan_file, plan.to_json())
                result.actions.append(
                    Action("lead", "approve the plan", f"infragate approve plan {plan_file} -d {design_file}")
                )
                steps.append(Step("apply", False, "waiting for a lead to approve the plan"))
                raise _HaltError(Outcome.WAITING)
            if plan.pending:
                with view.changing(len(plan.pending)) as changes:
                    applied = writer.execute(plan, snapshot, kind="apply", progress=changes)
                counts = {s.value: sum(1 for o in applied.outcomes if o.status is s) for s in ChangeStatus}
                steps.append(Step("apply", applied.succeeded, ", ".join(f"{n} {s}" for s, n in counts.items() if n)))
                if not applied.succeeded:
                    raise _HaltError(Outcome.INTERRUPTED if applied.interrupted else Outcome.AWS_FAILED)
                snapshot = writer.read()
            else:
                writer.execute(plan, snapshot, kind="apply")
                steps.append(Step("apply", True, "nothing to change"))
            verification = provisioning.verify(snapshot)
        steps.append(Step("verify", verification.aligned, "live == design" if verification.aligned else "not aligned"))
        if not verification.aligned:
            result.actions.append(
                Action(
                    "lead",
                    "bring the environment back to its design",
                    f"infragate verify --env {environment} -d {design_file}",
                )
            )
            raise _HaltError(Outcome.WAITING)
        # verify changes nothing, so the snapshot it read is current: the audit judges it, no second read
        findings = check_live(snapshot, design=design, environment=environment)
        result.findings = findings
        flow.record_audit(environment, findings)
        failing_live = [f for f in findings if f.finding.failing]
        judged = sum(1 for f in findings if f.finding.status is not Status.NOT_APPLICABLE)
        steps.append(Step("audit", not failing_live, f"{judged} checks, {len(failing_live)} failing or unreadable"))
        tested = _test(flow, settings, environment, snapshot, steps)
        if tested is not False:
            tested = _stress(flow, settings, environment, steps)
        scanned = _scan(flow, settings, environment, steps) if tested is not False else None
        if scanned is False:
            result.actions.append(
                Action(
                    "security",
                    "review what the OWASP scan found, or run the scan of production (ICP-4.1, ICP-4.4)",
                    f"infragate scan --env {environment} -d {design_file}",
                )
            )
        if tested is False:
            result.actions.append(
                Action(
                    "developer",
                    "fix what the infrastructure tests or the stress test found (ICP-3.2, ICP-3.3)",
                    f"infragate test --env {environment} -d {design_file}; infragate stress --env {environment}",
                )
            )
        if failing_live:
            # Any failing or unreadable live finding is a non-compliance someone must resolve (ICP-4.4).
            result.actions.append(
                Action(
                    "security",
                    f"review {len(failing_live)} live finding(s)",
                    f"infragate audit --env {environment} -d {design_file}",
                )
            )
            raise _HaltError(Outcome.WAITING)
        if tested is False or scanned is False:
            raise _HaltError(Outcome.WAITING)
    except _HaltError as halt:
        result.outcome = halt.outcome
    # the gates and the report, whatever happened
    result.gate_report = flow.gate_report(environment)
    result.report_path = settings.home / "reports" / f"{design.project.name}-{environment}.html"
    result.report_path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(result.report_path, render_compliance_html(compliance_report(flow, environment)), private=True)
    return result


def _test(flow: Workflow, settings: Settings, environment: str, snapshot: Snapshot, steps: list[Step]) -> bool | None:
    """ICP-3.2: start the environment's workload (embedded AWS) and test it, recording the run. None when the
    environment declares nothing to test."""
    from infragate.workflow.infra_testing import InfraTesting, TestOptions
    from infragate.workload import process as workload

    env = flow.design.environment(environment).settings
    if not env.endpoints and not env.tests:
        steps.append(Step("test", False, "nothing to test: the environment declares no endpoint"))
        return None
    if env.workload is not None and env.aws.embedded:
        running = workload.start(flow.design, environment, settings.home)
        steps.append(Step("workload", True, f"serving on {running.https} (pid {running.pid})"))
    testing = InfraTesting(flow, settings, environment)
    report = testing.run(TestOptions(), None if env.aws.embedded else snapshot)
    testing.record(report)
    counts = ", ".join(f"{report.count(v)} {v.value}" for v in Verdict if report.count(v))
    steps.append(Step("test", report.passed, f"{counts} ({report.duration_ms / 1000:.1f} s)"))
    return report.passed


def _stress(flow: Workflow, settings: Settings, environment: str, steps: list[Step]) -> bool | None:
    """ICP-3.3: the environment's stress scenario at its peak load, recorded; None when it declares none
    (a stress test is load: it runs from `infragate run` only when the design asks for it with `stress:`)."""
    import os

    from infragate.workflow.stress_testing import StressOptions, StressTesting

    if flow.design.environment(environment).settings.stress is None:
        return None
    testing = StressTesting(flow, settings, environment)
    outcome = testing.run(StressOptions(workers=max(1, min(os.cpu_count() or 1, 2))))
    testing.record(outcome)
    hold = outcome.results.get("hold", {})
    detail = (
        f"{outcome.scenario.peak_rps:g} requests/s held: p95 {hold.get('p95', 0):.1f} ms, p99 "
        f"{hold.get('p99', 0):.1f} ms, {hold.get('errors', 0)} errors of {hold.get('count', 0)}"
    )
    steps.append(Step("stress", outcome.passed, detail))
    return outcome.passed


def _scan(flow: Workflow, settings: Settings, environment: str, steps: list[Step]) -> bool | None:
    """ICP-4.1: the OWASP scan of the declared endpoints, recorded; None when there is nothing to scan. A
    production scan is security's to run (it is refused here for anyone else, and said so)."""
    from infragate.workflow.scanning import Scanning, ScanOptions

    env = flow.design.environment(environment).settings
    if not env.endpoints:
        return None
    scanning = Scanning(flow, settings, environment)
    plan = scanning.plan(ScanOptions())
    try:
        report = scanning.run(plan)
    except RoleError as refused:
        steps.append(Step("scan", False, refused.message))
        return False
    scanning.record(plan, report)
    counts = ", ".join(f"{n} {s}" for s, n in report.counts().items() if n) or "no findings"
    severe = any(f.severity in ("critical", "high") for f in report.findings)
    state = "complete" if report.complete else "incomplete"
    steps.append(Step("scan", report.complete and not severe, f"{state}: {counts} ({report.duration_s:.0f} s)"))
    return report.complete and not severe
