"""CloudWatch collector: metric alarms, with the resource each one watches (resolved by ``assemble``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from infragate.inventory.runner import Collector
from infragate.inventory.scope import Scope
from infragate.inventory.snapshot import LiveAlarm, Snapshot
from infragate.model import Section
from infragate.model.operations import Comparison, Statistic

if TYPE_CHECKING:  # for annotations only: importing it at run time would load boto3 or SQLAlchemy
    from infragate.aws import AwsConnection

COMPARISONS = {
    "GreaterThanThreshold": Comparison.GT,
    "GreaterThanOrEqualToThreshold": Comparison.GE,
    "LessThanThreshold": Comparison.LT,
    "LessThanOrEqualToThreshold": Comparison.LE,
}


def _alarm(raw: dict[str, Any]) -> LiveAlarm:
    statistic = raw.get("Statistic", Statistic.AVERAGE.value)
    return LiveAlarm(
        name=raw["AlarmName"],
        # Metric-math and anomaly alarms have no single metric or threshold; they keep their name so they
        # still count as existing, but never as the CPU or storage alarm a rule asks for.
        metric=raw.get("MetricName", "(metric math)"),
        dimensions={str(d["Name"]): str(d["Value"]) for d in raw.get("Dimensions", [])},
        comparison=COMPARISONS.get(raw.get("ComparisonOperator", ""), Comparison.GT),
        threshold=float(raw.get("Threshold", 0.0)),
        statistic=Statistic(statistic) if statistic in Statistic.__members__.values() else Statistic.AVERAGE,
        period_seconds=max(10, int(raw.get("Period", 60))),
        evaluation_periods=max(1, int(raw.get("EvaluationPeriods", 1))),
        actions=tuple(raw.get("AlarmActions", [])),
    )


def collect_alarms(connection: AwsConnection, scope: Scope, snapshot: Snapshot, region: str) -> None:
    # Alarms are scoped later by the resource they watch: an alarm on a project's instance is the project's.
    for page in connection.pages("cloudwatch", "describe_alarms", region=region, AlarmTypes=["MetricAlarm"]):
        snapshot.alarms += [_alarm(raw) for raw in page.get("MetricAlarms", [])]


COLLECTOR = Collector("cloudwatch", frozenset({Section.MONITORING}), collect_alarms)
