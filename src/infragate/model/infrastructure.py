"""The whole infrastructure of one environment: the unit that rules evaluate."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum

from pydantic import Field

from infragate.model.base import Component, ComponentKind, Model, Named
from infragate.model.cdn import Distribution
from infragate.model.compute import InstanceGroup
from infragate.model.database import Database
from infragate.model.dns import HostedZone
from infragate.model.network import Network
from infragate.model.operations import Backup, Monitoring, Shield, Slo
from infragate.model.storage import Bucket


class Section(StrEnum):
    """The parts of an infrastructure that are read separately from AWS; rules declare which they read."""

    NETWORK = "network"
    COMPUTE = "compute"
    DATABASES = "databases"
    BUCKETS = "buckets"
    DISTRIBUTIONS = "distributions"
    DNS = "dns"
    SHIELD = "shield"
    MONITORING = "monitoring"
    BACKUP = "backup"
    BACKUP_SELECTIONS = "backup selections"  # what plans cover: read separately, and not on every endpoint


class AdditionalService(Component):
    """An AWS service outside the approved list (ICP-1.2); it needs an explicit approver."""

    service: str = Field(examples=["elasticache"])
    purpose: str = ""
    approved_by: str | None = None


class Infrastructure(Model):
    network: Network
    compute: Named[InstanceGroup] = Field(default_factory=dict)
    databases: Named[Database] = Field(default_factory=dict)
    buckets: Named[Bucket] = Field(default_factory=dict)
    distributions: Named[Distribution] = Field(default_factory=dict)
    dns: Named[HostedZone] = Field(default_factory=dict)
    shield: Shield = Shield()
    monitoring: Monitoring = Monitoring()
    backup: Backup = Backup()
    targets: Slo | None = None
    additional_services: Named[AdditionalService] = Field(default_factory=dict)

    def components(self) -> Iterator[tuple[ComponentKind, Component]]:
        """Every named component, with its kind."""
        sections: tuple[tuple[ComponentKind, dict[str, Component]], ...] = (
            (ComponentKind.SUBNET, dict(self.network.subnets)),
            (ComponentKind.SECURITY_GROUP, dict(self.network.security_groups)),
            (ComponentKind.INSTANCE_GROUP, dict(self.compute)),
            (ComponentKind.DATABASE, dict(self.databases)),
            (ComponentKind.BUCKET, dict(self.buckets)),
            (ComponentKind.DISTRIBUTION, dict(self.distributions)),
            (ComponentKind.HOSTED_ZONE, dict(self.dns)),
            (ComponentKind.ALARM, dict(self.monitoring.alarms)),
            (ComponentKind.BACKUP_PLAN, dict(self.backup.plans)),
            (ComponentKind.SERVICE, dict(self.additional_services)),
        )
        for kind, members in sections:
            for component in members.values():
                yield kind, component


# Where each kind of component lives in a design document; used to point findings at file lines.
SECTION_OF: dict[ComponentKind, tuple[str, ...]] = {
    ComponentKind.SUBNET: ("network", "subnets"),
    ComponentKind.SECURITY_GROUP: ("network", "security_groups"),
    ComponentKind.INSTANCE_GROUP: ("compute",),
    ComponentKind.DATABASE: ("databases",),
    ComponentKind.BUCKET: ("buckets",),
    ComponentKind.DISTRIBUTION: ("distributions",),
    ComponentKind.HOSTED_ZONE: ("dns",),
    ComponentKind.ALARM: ("monitoring", "alarms"),
    ComponentKind.BACKUP_PLAN: ("backup", "plans"),
    ComponentKind.SERVICE: ("additional_services",),
    ComponentKind.NETWORK: ("network",),
    ComponentKind.SHIELD: ("shield",),
    ComponentKind.MONITORING: ("monitoring",),
    ComponentKind.BACKUP: ("backup",),
    ComponentKind.PROJECT: ("project",),
}


# The AWS service each kind of component belongs to, for summaries and CSV/JSON output.
SERVICE_OF: dict[ComponentKind, str] = {
    ComponentKind.NETWORK: "ec2",
    ComponentKind.SUBNET: "ec2",
    ComponentKind.SECURITY_GROUP: "ec2",
    ComponentKind.INSTANCE_GROUP: "ec2",
    ComponentKind.INSTANCE: "ec2",
    ComponentKind.VOLUME: "ec2",
    ComponentKind.DATABASE: "rds",
    ComponentKind.BUCKET: "s3",
    ComponentKind.DISTRIBUTION: "cloudfront",
    ComponentKind.HOSTED_ZONE: "route53",
    ComponentKind.SHIELD: "shield",
    ComponentKind.MONITORING: "cloudwatch",
    ComponentKind.ALARM: "cloudwatch",
    ComponentKind.BACKUP: "backup",
    ComponentKind.BACKUP_PLAN: "backup",
}
