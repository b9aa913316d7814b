"""ICP-5.2's restore drill as a use-case: restore each database and versioned bucket of the environment (or
one of them) into temporary resources, hold RTO and RPO to the design's targets, and keep the drill as
evidence; the pre-launch item "a restore drill passed within 90 days" reads it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from infragate.aws import AwsConnection
from infragate.provision import drill as drills
from infragate.settings import Settings
from infragate.workflow.connections import connect
from infragate.workflow.records import DrillSummary
from infragate.workflow.service import Workflow


@dataclass(frozen=True)
class DrillOutcome:
    summary: DrillSummary
    results: list[drills.ComponentDrill]
    run_id: int


def judged(result: drills.ComponentDrill, rto: float | None, rpo: float | None) -> dict[str, object]:
    """A component's line of the summary: restored, measured, and held to the targets that are declared."""
    rto_met = None if rto is None or result.rto_minutes is None else result.rto_minutes <= rto
    rpo_met = None if rpo is None or result.rpo_minutes is None else result.rpo_minutes <= rpo
    return {
        "kind": result.kind,
        "passed": result.restored and result.cleaned_up and rto_met is not False and rpo_met is not False,
        "not_applicable": result.not_applicable,
        "recovery_point": result.recovery_point,
        "recovery_point_at": result.recovery_point_at.isoformat() if result.recovery_point_at else None,
        "rto_minutes": result.rto_minutes,
        "rpo_minutes": result.rpo_minutes,
        "rto_met": rto_met,
        "rpo_met": rpo_met,
        "checks": result.checks,
        "problems": result.problems,
        "temporary": result.temporary,
        "cleaned_up": result.cleaned_up,
    }


class Drilling:
    def __init__(self, flow: Workflow, settings: Settings, environment: str) -> None:
        self.flow, self.settings, self.environment = flow, settings, environment
        self.env = flow.design.environment(environment)

    def run(
        self,
        component: str | None = None,
        progress: Callable[[str], None] = lambda _: None,
        connection: AwsConnection | None = None,
    ) -> DrillOutcome:
        """Drill and record; ``connection`` is the environment's (made from the settings when None)."""
        chosen = drills.components(self.flow.design, self.environment, component)  # a wrong one: before AWS
        connection = connection or connect(self.settings, self.env.settings)
        drill_id, results = drills.drill(connection, self.flow.design, self.environment, chosen, progress)
        targets = self.env.infrastructure.backup.targets
        rto, rpo = (targets.rto_minutes, targets.rpo_minutes) if targets is not None else (None, None)
        lines = {result.component: judged(result, rto, rpo) for result in results}
        judgeable = [line for line in lines.values() if not line["not_applicable"]]
        summary = DrillSummary(  # passed only when something was restored, and everything that could be was
            passed=bool(judgeable) and all(bool(line["passed"]) for line in judgeable),
            drill=drill_id,
            embedded=self.env.settings.aws.embedded,
            rto_target=rto,
            rpo_target=rpo,
            components=lines,
        )
        run_id = self.flow.record_run(self.environment, summary, succeeded=summary.passed)
        return DrillOutcome(summary, results, run_id)
