"""The pre-launch stage (ICP-5): the checklist — automatic items met by current evidence, manual items signed
by their role — including a restore drill within 90 days and the chosen compliance frameworks. Its job: the
restore drill. The checklist template (``checklist.yaml`` beside this package's parent) is this stage's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from infragate.model import Role
from infragate.workflow.checklist import ChecklistSpec, template
from infragate.workflow.framework_results import FrameworkResult
from infragate.workflow.gates import Criterion, Evidence, ItemState, audited, current_audit
from infragate.workflow.jobs_model import JobResult
from infragate.workflow.records import DrillSummary, RunKind
from infragate.workflow.stages import JobKind, JobRequest, Stage, StageSpec

if TYPE_CHECKING:
    from infragate.workflow.context import Caller, UnitOfWork


def pre_launch_gate(e: Evidence) -> list[Criterion]:
    return [
        Criterion(
            Stage.PRE_LAUNCH,
            item.spec.clause,
            f"checklist: {item.spec.title}",
            item.met,
            item.detail,
            item.spec.role,
            decided_by_person=not item.spec.automatic,
        )
        for item in e.checklist
    ]


def frameworks_item(spec: ChecklistSpec, chosen: list[FrameworkResult]) -> ItemState:
    """ICP-5.3: met when every chosen framework (the organisation's policy among them) holds: no failing or
    unevaluated requirement, and every manual one signed by security."""
    blocking = [f"{result.id} {item}" for result in chosen for item in result.blocking()]
    if blocking:
        more = f" and {len(blocking) - 6} more" if len(blocking) > 6 else ""
        return ItemState(spec, False, f"not yet: {', '.join(blocking[:6])}{more}")
    held = ", ".join(f"{r.id} ({r.counts['pass']} pass, {r.counts['not applicable']} not applicable)" for r in chosen)
    return ItemState(spec, True, f"every requirement holds: {held}")


DRILL_VALID = timedelta(days=90)


def drilled_item(spec: ChecklistSpec, evidence: Evidence) -> ItemState:
    """Met by the latest restore drill when it passed within the last 90 days."""
    drill = evidence.runs.get(RunKind.DRILL)
    if drill is None:
        return ItemState(spec, False, f"no restore drill yet: infragate drill restore --env {evidence.environment}")
    if not isinstance(drill.summary, DrillSummary):
        return ItemState(spec, False, "the latest drill recorded no readable result: drill again")
    if datetime.now(UTC) - drill.at > DRILL_VALID:
        return ItemState(spec, False, f"the latest drill ({drill.at:%Y-%m-%d}) is older than 90 days")
    if not drill.summary.passed:
        failed = [name for name, c in drill.summary.components.items() if not c.passed and not c.not_applicable]
        return ItemState(spec, False, f"the latest drill ({drill.at:%Y-%m-%d}) failed: {', '.join(failed)}")
    left_out = [name for name in evidence.drillable if name not in drill.summary.components]
    if left_out:
        return ItemState(spec, False, f"the latest drill left out {', '.join(left_out)}: drill them all")
    measured = [
        f"{name} RTO {c.rto_minutes:.1f} min, RPO {c.rpo_minutes:.0f} min"
        for name, c in drill.summary.components.items()
        if c.rto_minutes is not None and c.rpo_minutes is not None
    ]
    where = " (embedded AWS: metadata only)" if drill.summary.embedded else ""
    return ItemState(spec, True, f"drill on {drill.at:%Y-%m-%d}{where}: {'; '.join(measured)}")


def audited_item(spec: ChecklistSpec, evidence: Evidence) -> ItemState:
    """Met only by positive, current evidence: an audit after the last apply in which every rule of the item
    was evaluated and passed. A waived (accepted) or unreadable result is not clear; an item whose rules all
    had nothing to judge (no databases, or production-only rules in staging) is not applicable."""
    summary, why = current_audit(evidence)
    if summary is None:
        again = "" if RunKind.AUDIT not in evidence.runs else ": audit again"
        return ItemState(spec, False, why + again)
    results = {rule: audited(summary, rule, evidence.open_rules) for rule in spec.rules}
    unclear = sorted(rule for rule, result in results.items() if result == "unclear")
    if unclear:
        return ItemState(spec, False, f"not clear: {', '.join(unclear)} failing, unreadable or only accepted")
    missing = sorted(rule for rule, result in results.items() if result == "missing")
    if missing:
        return ItemState(spec, False, f"not evaluated by the latest audit: {', '.join(missing)}")
    passed = sorted(rule for rule, result in results.items() if result == "pass")
    if not passed:
        return ItemState(spec, True, "not applicable: none of its rules had anything to judge here")
    return ItemState(spec, True, f"clear in the latest audit ({', '.join(passed)} evaluated and passing)")


def drill_job(job: JobRequest, caller: Caller, uow: UnitOfWork) -> JobResult:
    from infragate.workflow.bus import handle
    from infragate.workflow.drills import Drill

    drilled = handle(
        Drill(project=job.project, environment=job.environment, component=job.params.component), caller, uow
    )
    uow.view.log(f"drill: {'passed' if drilled.summary.passed else 'failed'}")
    return JobResult(passed=drilled.summary.passed, components=list(drilled.summary.components))


STAGE = StageSpec(
    Stage.PRE_LAUNCH.value,
    pre_launch_gate,
    summaries=(DrillSummary,),
    # it makes (and deletes) AWS resources: the lead's or the infrastructure team's
    jobs=(JobKind("drill", drill_job, frozenset({Role.LEAD, Role.INFRA}), what="a restore drill"),),
    item_judges={"restore-drill": drilled_item},
    checklist=template(),
)
