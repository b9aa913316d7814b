"""ICP-5.2's restore drill as a use-case: restore each database and versioned bucket of the environment (or
one of them) into temporary resources, hold RTO and RPO to the design's targets, and keep the drill as
evidence; the pre-launch item "a restore drill passed within 90 days" reads it."""

from __future__ import annotations

from infragate.provision import drill as drills
from infragate.workflow.bus import handles
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.messages import Command
from infragate.workflow.project import open_project
from infragate.workflow.provisioning import Environment, LocalResult
from infragate.workflow.records import ComponentDrillRecord, DrillSummary


class Drilled(LocalResult):
    summary: DrillSummary
    results: list[drills.ComponentDrill]
    run_id: int


def judged(result: drills.ComponentDrill, rto: float | None, rpo: float | None) -> ComponentDrillRecord:
    """A component's line of the summary: restored, measured, and held to the targets that are declared."""
    rto_met = None if rto is None or result.rto_minutes is None else result.rto_minutes <= rto
    rpo_met = None if rpo is None or result.rpo_minutes is None else result.rpo_minutes <= rpo
    return ComponentDrillRecord(
        kind=result.kind,
        passed=result.restored and result.cleaned_up and rto_met is not False and rpo_met is not False,
        not_applicable=result.not_applicable,
        recovery_point=result.recovery_point,
        recovery_point_at=result.recovery_point_at.isoformat() if result.recovery_point_at else None,
        rto_minutes=result.rto_minutes,
        rpo_minutes=result.rpo_minutes,
        rto_met=rto_met,
        rpo_met=rpo_met,
        checks=list(result.checks),
        problems=list(result.problems),
        temporary=result.temporary,
        cleaned_up=result.cleaned_up,
    )


class Drill(Command[Drilled]):
    """Restore each database and versioned bucket of the environment (or ``component``) into temporary
    resources, hold RTO and RPO to the design's targets, delete the copies, and keep the drill as evidence."""

    project: str
    environment: str
    component: str | None = None


@handles(Drill)
def drill(command: Drill, caller: Caller, uow: UnitOfWork) -> Drilled:
    work = open_project(uow, command.project, caller)
    environment = command.environment
    env = work.design.environment(environment)
    chosen = drills.components(work.design, environment, command.component)  # a wrong one: before AWS
    connection = Environment(work, environment).connection
    drill_id, results = drills.drill(connection, work.design, environment, chosen, uow.view.log)
    targets = env.infrastructure.backup.targets
    rto, rpo = (targets.rto_minutes, targets.rpo_minutes) if targets is not None else (None, None)
    lines = {result.component: judged(result, rto, rpo) for result in results}
    judgeable = [line for line in lines.values() if not line.not_applicable]
    summary = DrillSummary(  # passed only when something was restored, and everything that could be was
        passed=bool(judgeable) and all(line.passed for line in judgeable),
        drill=drill_id,
        embedded=env.settings.aws.embedded,
        rto_target=rto,
        rpo_target=rpo,
        components=lines,
    )
    run_id, recorded = work.record(environment, summary, succeeded=summary.passed)
    return Drilled(summary=recorded, results=results, run_id=run_id)
