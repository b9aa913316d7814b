"""CloudWatch CPU of the live instance groups and databases over a time window (read only).

The stress report attaches it (ICP-3.3 asks where the bottleneck is): a p95 that climbs while a database's
CPU sits at 95% points somewhere else than one that climbs on idle servers. The components come from the
ec2 and rds collectors' snapshot, so only the project's own resources in the environment are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from infragate.inventory.snapshot import Snapshot
from infragate.model import ComponentKind

if TYPE_CHECKING:  # for annotations only: importing it at run time would load boto3
    from infragate.aws import AwsConnection

QUERIES_PER_CALL = 500  # GetMetricData's limit


@dataclass(frozen=True)
class CpuSeries:
    """One server's or database's CPU: (seconds since the window began, average CPU % in the period)."""

    component: str
    kind: str  # "instance group" or "database"
    resource: str  # the EC2 instance id or the RDS DB instance identifier
    points: tuple[tuple[float, float], ...]

    @property
    def peak(self) -> float | None:
        return max((value for _, value in self.points), default=None)

    @property
    def mean(self) -> float | None:
        return sum(value for _, value in self.points) / len(self.points) if self.points else None


def _watched(snapshot: Snapshot) -> list[tuple[str, str, str, str, str]]:
    """(component, kind, resource, namespace, dimension) of every instance and database in the snapshot."""
    watched = [(i.group, "instance group", i.id, "AWS/EC2", "InstanceId") for i in snapshot.instances]
    watched += [
        (name, "database", identifier, "AWS/RDS", "DBInstanceIdentifier")
        for (kind, name), identifier in sorted(snapshot.resource_ids.items())
        if kind is ComponentKind.DATABASE
    ]
    return watched


def cpu_during(
    connection: AwsConnection, snapshot: Snapshot, start: datetime, end: datetime, region: str, period_s: int = 60
) -> list[CpuSeries]:
    """The CPUUtilization averages of every watched resource between ``start`` and ``end``. A resource with
    no datapoints (basic monitoring samples every 5 minutes; a short test may fall between) has no points."""
    watched = _watched(snapshot)
    values: dict[str, list[tuple[float, float]]] = {}
    for first in range(0, len(watched), QUERIES_PER_CALL):
        queries = [
            {
                "Id": f"m{first + index}",
                "MetricStat": {
                    "Metric": {
                        "Namespace": namespace,
                        "MetricName": "CPUUtilization",
                        "Dimensions": [{"Name": dimension, "Value": resource}],
                    },
                    "Period": period_s,
                    "Stat": "Average",
                },
                "ReturnData": True,
            }
            for index, (_c, _k, resource, namespace, dimension) in enumerate(watched[first : first + QUERIES_PER_CALL])
        ]
        pages = connection.pages(
            "cloudwatch",
            "get_metric_data",
            region=region,
            MetricDataQueries=queries,
            StartTime=start,
            EndTime=end,
            ScanBy="TimestampAscending",
        )
        for page in pages:
            for result in page.get("MetricDataResults", []):
                points = values.setdefault(str(result["Id"]), [])
                for at, value in zip(result.get("Timestamps", []), result.get("Values", []), strict=False):
                    points.append((max(0.0, at.timestamp() - start.timestamp()), float(value)))
    return [
        CpuSeries(component, kind, resource, tuple(sorted(values.get(f"m{index}", []))))
        for index, (component, kind, resource, _n, _d) in enumerate(watched)
    ]
