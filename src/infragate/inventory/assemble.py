"""Turn a snapshot into an ``Infrastructure``: the same model a design produces, so the same rules judge it.

This is where facts from different services meet: which instance group an alarm watches, which Elastic
IPs Shield protects, which distribution a DNS alias points at, what a backup selection covers.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Network

from infragate.inventory.snapshot import LiveBackupPlan, LiveZone, Snapshot
from infragate.model import (
    Alarm,
    Backup,
    BackupPlan,
    ComponentKind,
    Database,
    Distribution,
    HostedZone,
    Infrastructure,
    Monitoring,
    Network,
    Record,
    RecordType,
    Shield,
    Tier,
)
from infragate.model.names import dns_name
from infragate.model.operations import ShieldProtect

EC2_PUBLIC_DNS = re.compile(r"^ec2-(\d+-\d+-\d+-\d+)\.")
BACKUP_KINDS = (ComponentKind.INSTANCE_GROUP, ComponentKind.DATABASE, ComponentKind.BUCKET)
DIMENSION_KINDS = {
    "InstanceId": ComponentKind.INSTANCE_GROUP,
    "DBInstanceIdentifier": ComponentKind.DATABASE,
    "DistributionId": ComponentKind.DISTRIBUTION,
}


def infrastructure_of(snapshot: Snapshot) -> Infrastructure:
    distributions = {name: _distribution(dist, snapshot) for name, dist in snapshot.distributions.items()}
    origin_buckets = {o.bucket for d in distributions.values() for o in d.origins if o.bucket}
    return Infrastructure(
        network=_network(snapshot),
        compute=snapshot.compute,
        databases={name: _database(db, snapshot) for name, db in snapshot.databases.items()},
        buckets={
            name: bucket.model_copy(update={"served_via_cloudfront": name in origin_buckets})
            for name, bucket in snapshot.buckets.items()
        },
        distributions=distributions,
        dns={name: _zone(zone, snapshot) for name, zone in snapshot.zones.items()},
        shield=_shield(snapshot),
        monitoring=_monitoring(snapshot),
        backup=Backup(
            vault=snapshot.backup_vaults[0] if snapshot.backup_vaults else "default",
            plans={plan.name: _backup_plan(plan, snapshot) for plan in snapshot.backup_plans},
        ),
    )


def _network(snapshot: Snapshot) -> Network:
    # A live account may hold several VPCs; the model's single vpc_cidr only anchors design-only rules
    # (NET-006), so the first VPC found stands in for it.
    cidrs = list(snapshot.vpc_cidrs.values())
    zones = sorted({subnet.availability_zone for subnet in snapshot.subnets.values()})
    return Network(
        vpc_cidr=cidrs[0] if cidrs else IPv4Network("0.0.0.0/0"),
        availability_zones=tuple(zones) or snapshot.regions,
        subnets=snapshot.subnets,
        security_groups=snapshot.security_groups,
    )


def _names(snapshot: Snapshot, identifiers: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(snapshot.owners.get(identifier, (ComponentKind.SERVICE, identifier))[1] for identifier in identifiers)


def _database(db: Database, snapshot: Snapshot) -> Database:
    subnets = snapshot.database_subnet_ids.get(db.name, ())
    public = any(subnet in snapshot.public_subnet_ids for subnet in subnets)
    return db.model_copy(
        update={
            "subnet_tier": Tier.PUBLIC if public else Tier.PRIVATE,
            "security_groups": _names(snapshot, db.security_groups),
        }
    )


def _component(snapshot: Snapshot, kind: ComponentKind, identifier: str) -> str:
    """The component an AWS name belongs to, or the name itself when it is none of ours."""
    owner = snapshot.owners.get(identifier)
    return owner[1] if owner is not None and owner[0] is kind else identifier


def _group_of_address(snapshot: Snapshot, domain: str) -> str | None:
    """The instance group behind an EC2 public DNS name (``ec2-203-0-113-5.<region>.compute…``)."""
    match = EC2_PUBLIC_DNS.match(domain)
    address = match.group(1).replace("-", ".") if match else domain
    return next((i.group for i in snapshot.instances if i.public_ip == address), None)


def _distribution(dist: Distribution, snapshot: Snapshot) -> Distribution:
    origins = []
    for origin in dist.origins:
        if origin.bucket is not None:
            origins.append(
                origin.model_copy(update={"bucket": _component(snapshot, ComponentKind.BUCKET, origin.bucket)})
            )
        elif origin.domain is not None and (group := _group_of_address(snapshot, origin.domain)) is not None:
            origins.append(origin.model_copy(update={"domain": None, "instance_group": group}))
        else:
            origins.append(origin)
    logging = dist.logging_bucket
    return dist.model_copy(
        update={
            "origins": tuple(origins),
            "logging_bucket": _component(snapshot, ComponentKind.BUCKET, logging) if logging else None,
        }
    )


def _zone(zone: LiveZone, snapshot: Snapshot) -> HostedZone:
    # Every public address of an instance, Elastic or auto-assigned: a record pointing at an auto-assigned
    # one is folded into its group too, so DNS-001 judges it (the group then has elastic_ip false).
    group_of_address = {i.public_ip: i.group for i in snapshot.instances if i.public_ip}
    records = []
    for record in zone.records:
        if record.managed_by_aws:
            continue
        distribution = snapshot.distribution_domains.get(dns_name(record.alias_dns_name or ""))
        groups = {group_of_address.get(value) for value in record.values}
        group = groups.pop() if len(groups) == 1 else None
        if distribution is not None:
            records.append(Record(name=record.name, type=record.type, alias_distribution=distribution))
        elif record.alias_dns_name is not None:
            records.append(Record(name=record.name, type=record.type, values=(record.alias_dns_name,)))
        elif group is not None and record.type is RecordType.A:
            records.append(Record(name=record.name, type=record.type, instance_group=group, ttl=record.ttl))
        elif record.values:
            records.append(Record(name=record.name, type=record.type, values=record.values, ttl=record.ttl))
    return HostedZone(name=zone.name, records=tuple(sorted(records, key=lambda r: (r.name, r.type.value))))


def _shield(snapshot: Snapshot) -> Shield:
    protected = snapshot.protected_arns
    groups = {instance.group for instance in snapshot.instances}
    eip_groups = tuple(
        sorted(
            group
            for group in groups
            if all(
                i.eip_allocation_arn is not None and i.eip_allocation_arn in protected
                for i in snapshot.instances
                if i.group == group
            )
        )
    )
    return Shield(
        advanced=snapshot.shield_subscribed,
        protect=ShieldProtect(
            elastic_ips=eip_groups,
            distributions=_protected(snapshot, ComponentKind.DISTRIBUTION),
            hosted_zones=_protected(snapshot, ComponentKind.HOSTED_ZONE),
        ),
    )


def _protected(snapshot: Snapshot, kind: ComponentKind) -> tuple[str, ...]:
    return tuple(
        sorted(
            {snapshot.owners[arn][1] for arn in snapshot.protected_arns if snapshot.owners.get(arn, (None,))[0] is kind}
        )
    )


def _monitoring(snapshot: Snapshot) -> Monitoring:
    alarms = {}
    for alarm in snapshot.alarms:
        watched = [
            snapshot.owners[value]
            for key, value in alarm.dimensions.items()
            if key in DIMENSION_KINDS and snapshot.owners.get(value, (None,))[0] is DIMENSION_KINDS[key]
        ]
        if snapshot.scoped and not watched:
            continue  # within a project, an alarm belongs to it when it watches one of its resources
        name = snapshot.scope.alarm_component(alarm.name)
        alarms[name] = Alarm(
            name=name,
            component=watched[0][1] if watched else "",
            metric=alarm.metric,
            comparison=alarm.comparison,
            threshold=alarm.threshold,
            statistic=alarm.statistic,
            period_seconds=alarm.period_seconds,
            evaluation_periods=alarm.evaluation_periods,
        )
    kept = [a for a in snapshot.alarms if snapshot.scope.alarm_component(a.name) in alarms]
    # The model has one notification list for all alarms: it is set only when every alarm notifies someone.
    notify = sorted({action for a in kept for action in a.actions}) if all(a.actions for a in kept) else []
    return Monitoring(notify=tuple(notify), alarms=alarms)


def _backup_plan(plan: LiveBackupPlan, snapshot: Snapshot) -> BackupPlan:
    covered: set[str] = set()
    for identifier, (kind, name) in snapshot.owners.items():
        if kind not in BACKUP_KINDS or not identifier.startswith("arn:"):
            continue
        by_arn = "*" in plan.resource_arns or identifier in plan.resource_arns
        tags = snapshot.tags.get(identifier, {})
        if by_arn or any(tags.get(key) == value for key, value in plan.selected_tags):
            covered.add(name)
    return BackupPlan(
        name=plan.name,
        schedule=plan.schedule or "cron(0 3 * * ? *)",
        retention_days=plan.retention_days,
        components=tuple(sorted(covered)),
    )
