"""What an inventory run returns: typed sections, the live facts designs do not have, and what failed.

Collectors fill the sections they own (from several threads: each writes only its own keys). Facts that
join services, such as which Elastic IP Shield protects or which instance an alarm watches, are kept as
AWS identifiers here and resolved into design models by ``assemble``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from ipaddress import IPv4Network

from infragate.inventory.scope import Scope
from infragate.model import (
    Bucket,
    ComponentKind,
    Database,
    Distribution,
    InstanceGroup,
    Section,
    SecurityGroup,
    Subnet,
)
from infragate.model.dns import RecordType
from infragate.model.operations import Comparison, Statistic


@dataclass(frozen=True)
class CollectorFailure:
    collector: str
    message: str
    code: str
    sections: frozenset[Section] = frozenset()


@dataclass(frozen=True)
class LiveInstance:
    """One EC2 instance as Shield sees it: its public address and the Elastic IP behind it, if any."""

    id: str
    arn: str
    group: str  # the instance group (component) it was folded into
    region: str
    public_ip: str | None
    eip_allocation_arn: str | None


@dataclass(frozen=True)
class LiveVolume:
    """An EBS volume attached to no instance: no instance group judges it, so live-only rules do."""

    id: str
    arn: str
    encrypted: bool


@dataclass(frozen=True)
class LiveRecord:
    name: str  # relative to the zone, "@" for the apex
    type: RecordType
    values: tuple[str, ...]
    alias_dns_name: str | None
    ttl: int

    @property
    def managed_by_aws(self) -> bool:
        """The apex NS and SOA records Route 53 creates with every zone."""
        return self.name == "@" and self.type in (RecordType.NS, RecordType.SOA)


@dataclass(frozen=True)
class LiveZone:
    name: str  # the component name
    domain: str
    arn: str
    records: tuple[LiveRecord, ...]


@dataclass(frozen=True)
class LiveAlarm:
    name: str
    metric: str
    dimensions: dict[str, str]
    comparison: Comparison
    threshold: float
    statistic: Statistic
    period_seconds: int
    evaluation_periods: int
    actions: tuple[str, ...]


@dataclass(frozen=True)
class LiveBackupPlan:
    name: str
    arn: str
    schedule: str
    retention_days: int
    resource_arns: tuple[str, ...]  # what its selections name; "*" selects every supported resource
    selected_tags: tuple[tuple[str, str], ...]  # selections by tag (key, value)


@dataclass
class Snapshot:
    """Observed state, section by section, keyed by component name."""

    regions: tuple[str, ...]
    scope: Scope = field(default_factory=Scope)
    account: str = ""
    vpc_cidrs: dict[str, IPv4Network] = field(default_factory=dict)
    subnets: dict[str, Subnet] = field(default_factory=dict)
    public_subnet_ids: set[str] = field(default_factory=set)
    security_groups: dict[str, SecurityGroup] = field(default_factory=dict)
    compute: dict[str, InstanceGroup] = field(default_factory=dict)
    instances: list[LiveInstance] = field(default_factory=list)
    detached_volumes: list[LiveVolume] = field(default_factory=list)
    databases: dict[str, Database] = field(default_factory=dict)
    database_subnet_ids: dict[str, tuple[str, ...]] = field(default_factory=dict)
    buckets: dict[str, Bucket] = field(default_factory=dict)
    public_policy_buckets: set[str] = field(default_factory=set)
    distributions: dict[str, Distribution] = field(default_factory=dict)
    distribution_domains: dict[str, str] = field(default_factory=dict)  # *.cloudfront.net -> component
    zones: dict[str, LiveZone] = field(default_factory=dict)
    shield_subscribed: bool = False
    protected_arns: set[str] = field(default_factory=set)
    alarms: list[LiveAlarm] = field(default_factory=list)
    backup_vaults: list[str] = field(default_factory=list)
    backup_plans: list[LiveBackupPlan] = field(default_factory=list)
    # Every collected resource, by AWS id and by ARN: what component it is, and its tags.
    owners: dict[str, tuple[ComponentKind, str]] = field(default_factory=dict)
    resource_ids: dict[tuple[ComponentKind, str], str] = field(default_factory=dict)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)  # ARN -> tags
    collected: list[str] = field(default_factory=list)  # every collector run (per region), failed or not
    failures: list[CollectorFailure] = field(default_factory=list)

    @property
    def scoped(self) -> bool:
        """Only one project's (and environment's) tagged resources were kept."""
        return self.scope.by_project

    @property
    def complete(self) -> bool:
        return not self.failures

    @property
    def unavailable(self) -> frozenset[Section]:
        return frozenset().union(*(failure.sections for failure in self.failures))

    def own(self, kind: ComponentKind, name: str, *identifiers: str, tags: dict[str, str] | None = None) -> None:
        """Record that these AWS identifiers (ids, ARNs) belong to component ``name``; the first is shown."""
        for identifier in identifiers:
            self.owners[identifier] = (kind, name)
            if tags is not None and identifier.startswith("arn:"):
                self.tags[identifier] = tags
        if identifiers:
            self.resource_ids.setdefault((kind, name), identifiers[0])

    def absorb(self, part: Snapshot) -> None:
        """Add what one collector run found (its own snapshot) to this one: mappings and sets join, lists
        extend, and a subscription seen in any run counts."""
        for item in fields(self):
            if item.name in ("regions", "scope", "account", "collected", "failures"):
                continue
            mine, theirs = getattr(self, item.name), getattr(part, item.name)
            if isinstance(mine, dict):
                mine.update(theirs)
            elif isinstance(mine, set):
                mine |= theirs
            elif isinstance(mine, list):
                mine.extend(theirs)
            elif isinstance(mine, bool):
                setattr(self, item.name, mine or theirs)
        self.failures.extend(part.failures)  # a collector may record a partial failure and go on

    def resource_of(self, kind: ComponentKind, name: str) -> str | None:
        return self.resource_ids.get((kind, name))
