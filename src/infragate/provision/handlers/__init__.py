"""One handler per kind of resource: create, change in place, replace or delete it to match the design.

Every handler is idempotent: it looks up what exists (by tags, names or caller references) before creating,
so running it again after a failure or a crash converges instead of duplicating.
"""

from __future__ import annotations

from collections.abc import Callable

from infragate.model import ComponentKind, Infrastructure, Tier
from infragate.provision.context import ApplyContext
from infragate.provision.handlers.compute import apply_instance_group
from infragate.provision.handlers.data import apply_bucket, apply_database
from infragate.provision.handlers.edge import apply_distribution, apply_zone
from infragate.provision.handlers.network import apply_network, apply_security_group, apply_subnet
from infragate.provision.handlers.protection import (
    apply_alarm,
    apply_backup_plan,
    apply_monitoring,
    apply_shield,
    apply_vault,
)
from infragate.provision.plan import Change

Handler = Callable[[ApplyContext, Change], None]

HANDLERS: dict[ComponentKind, Handler] = {
    ComponentKind.NETWORK: apply_network,
    ComponentKind.SUBNET: apply_subnet,
    ComponentKind.SECURITY_GROUP: apply_security_group,
    ComponentKind.INSTANCE_GROUP: apply_instance_group,
    ComponentKind.DATABASE: apply_database,
    ComponentKind.BUCKET: apply_bucket,
    ComponentKind.DISTRIBUTION: apply_distribution,
    ComponentKind.HOSTED_ZONE: apply_zone,
    ComponentKind.SHIELD: apply_shield,
    ComponentKind.ALARM: apply_alarm,
    ComponentKind.MONITORING: apply_monitoring,
    ComponentKind.BACKUP: apply_vault,
    ComponentKind.BACKUP_PLAN: apply_backup_plan,
}


def _key(kind: ComponentKind, name: str) -> str:
    return f"{kind.value}:{name}"


def _subnets(desired: Infrastructure, tier: Tier) -> set[str]:
    return {_key(ComponentKind.SUBNET, s.name) for s in desired.network.subnets_in(tier)}


def _groups(names: tuple[str, ...]) -> set[str]:
    return {_key(ComponentKind.SECURITY_GROUP, name) for name in names}


def _component(desired: Infrastructure, name: str) -> str:
    for kind, section in (
        (ComponentKind.INSTANCE_GROUP, desired.compute),
        (ComponentKind.DATABASE, desired.databases),
        (ComponentKind.BUCKET, desired.buckets),
        (ComponentKind.DISTRIBUTION, desired.distributions),
    ):
        if name in section:
            return _key(kind, name)
    return _key(ComponentKind.SERVICE, name)


def requirements(change: Change, desired: Infrastructure) -> set[str]:
    """The changes this one builds on (for creating and updating; deletion runs in reverse phase order)."""
    kind, name, network = change.kind, change.name, {_key(ComponentKind.NETWORK, "network")}
    if kind in (ComponentKind.SUBNET, ComponentKind.SECURITY_GROUP):
        return network
    if kind is ComponentKind.INSTANCE_GROUP and name in desired.compute:
        group = desired.compute[name]
        return _subnets(desired, group.subnet_tier) | _groups(group.security_groups)
    if kind is ComponentKind.DATABASE and name in desired.databases:
        db = desired.databases[name]
        return _subnets(desired, db.subnet_tier) | _groups(db.security_groups)
    if kind is ComponentKind.DISTRIBUTION and name in desired.distributions:
        dist = desired.distributions[name]
        needed = {_component(desired, origin.target) for origin in dist.origins if not origin.domain}
        return needed | ({_key(ComponentKind.BUCKET, dist.logging_bucket)} if dist.logging_bucket else set())
    if kind is ComponentKind.HOSTED_ZONE and name in desired.dns:
        records = desired.dns[name].records
        return {_key(ComponentKind.DISTRIBUTION, r.alias_distribution) for r in records if r.alias_distribution} | {
            _key(ComponentKind.INSTANCE_GROUP, r.instance_group) for r in records if r.instance_group
        }
    if kind is ComponentKind.SHIELD:
        return (
            {_key(ComponentKind.INSTANCE_GROUP, g.name) for g in desired.compute.values() if g.elastic_ip}
            | {_key(ComponentKind.DISTRIBUTION, d) for d in desired.distributions}
            | {_key(ComponentKind.HOSTED_ZONE, z) for z in desired.dns}
        )
    if kind is ComponentKind.ALARM and name in desired.monitoring.alarms:
        return {_component(desired, desired.monitoring.alarms[name].component)}
    if kind is ComponentKind.MONITORING:
        return {_key(ComponentKind.ALARM, alarm) for alarm in desired.monitoring.alarms}
    if kind is ComponentKind.BACKUP_PLAN and name in desired.backup.plans:
        plan = desired.backup.plans[name]
        return {_key(ComponentKind.BACKUP, desired.backup.vault)} | {_component(desired, c) for c in plan.components}
    return set()
