"""Models for what keeps infrastructure alive: Shield, monitoring, backup and performance targets."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from infragate.model.base import Component, Model, Named
from infragate.model.names import dns_name

ShieldCoverage = Literal["all", "none"] | tuple[str, ...]
"""``all`` (the default), ``none``, or the names of the components to protect."""


class ShieldProtect(Model):
    elastic_ips: ShieldCoverage = "all"
    distributions: ShieldCoverage = "all"
    hosted_zones: ShieldCoverage = "all"


class Shield(Model):
    """AWS Shield Advanced: the subscription and which resources it protects."""

    advanced: bool = True
    protect: ShieldProtect = ShieldProtect()

    @staticmethod
    def _covers(coverage: ShieldCoverage, name: str) -> bool:
        if coverage == "all":
            return True
        if coverage == "none":
            return False
        return name in coverage

    def covers_eips_of(self, group: str) -> bool:
        return self.advanced and self._covers(self.protect.elastic_ips, group)

    def covers_distribution(self, name: str) -> bool:
        return self.advanced and self._covers(self.protect.distributions, name)

    def covers_zone(self, name: str) -> bool:
        zones = self.protect.hosted_zones
        if isinstance(zones, tuple):  # zone names compare as DNS does: any case, trailing dot or not
            zones = tuple(dns_name(zone) for zone in zones)
        return self.advanced and self._covers(zones, dns_name(name))


class Comparison(StrEnum):
    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="


class Statistic(StrEnum):
    AVERAGE = "Average"
    MAXIMUM = "Maximum"
    MINIMUM = "Minimum"
    SUM = "Sum"


class Alarm(Component):
    """A CloudWatch alarm on one metric of one component."""

    component: str
    metric: str = Field(examples=["CPUUtilization", "StatusCheckFailed", "FreeStorageSpace", "5xxErrorRate"])
    comparison: Comparison = Comparison.GT
    threshold: float
    statistic: Statistic = Statistic.AVERAGE
    period_seconds: int = Field(default=300, ge=10)
    evaluation_periods: int = Field(default=2, ge=1)


class Monitoring(Model):
    notify: tuple[str, ...] = Field(default=(), description="SNS topic ARNs or e-mail addresses")
    alarms: Named[Alarm] = Field(default_factory=dict)

    def alarms_for(self, component: str) -> list[Alarm]:
        return [alarm for alarm in self.alarms.values() if alarm.component == component]


class BackupPlan(Component):
    schedule: str = Field(default="cron(0 3 * * ? *)", description="AWS Backup schedule expression")
    retention_days: int = Field(ge=1)
    components: tuple[str, ...] = Field(
        default=(), description="Components the plan backs up (a live plan with no selection has none)"
    )


class RecoveryTargets(Model):
    """What a restore drill must show (ICP-5.2): a usable copy within ``rto_minutes``, from a recovery point
    no older than ``rpo_minutes``."""

    rto_minutes: float = Field(gt=0, le=10_080, description="Recovery time objective: minutes to a usable copy")
    rpo_minutes: float = Field(gt=0, le=10_080, description="Recovery point objective: the oldest acceptable point")


class Backup(Model):
    vault: str = "default"
    plans: Named[BackupPlan] = Field(default_factory=dict)
    targets: RecoveryTargets | None = Field(default=None, description="RTO and RPO that restore drills are held to")

    def plans_covering(self, component: str) -> list[BackupPlan]:
        return [plan for plan in self.plans.values() if component in plan.components]


class Slo(Model):
    """Service-level objectives the stress tests must meet."""

    peak_rps: float = Field(gt=0, description="Expected peak requests per second")
    p95_ms: float = Field(gt=0)
    p99_ms: float = Field(gt=0)
    max_error_rate: float = Field(ge=0, le=1, description="Fraction of failed requests, e.g. 0.01")
