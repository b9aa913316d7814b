"""Compare the design with what is live: a pure function from two infrastructures to a list of changes.

Both sides are the same typed models, so each component becomes a flat mapping of attribute -> JSON value
and the comparison is generic. Normalisation makes equal things compare equal: name lists are sorted,
Shield's ``all`` is expanded into the names it covers, and rule lists are compared as sets.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from infragate.inventory import Snapshot, infrastructure_of
from infragate.json_values import Json
from infragate.model import ComponentKind, Infrastructure, Section
from infragate.model.base import Model
from infragate.provision.plan import Action, AttributeChange, Change

Key = tuple[ComponentKind, str]
Attributes = dict[str, Json]  # a component's attributes, as JSON

# Changing these cannot be done in place: the resource is deleted and created again.
REPLACED_BY: dict[ComponentKind, frozenset[str]] = {
    ComponentKind.NETWORK: frozenset({"vpc_cidr"}),
    ComponentKind.SUBNET: frozenset({"cidr", "availability_zone"}),
    ComponentKind.SECURITY_GROUP: frozenset({"description"}),
    ComponentKind.INSTANCE_GROUP: frozenset({"instance_type", "ami", "subnet_tier", "root_volume"}),
    ComponentKind.DATABASE: frozenset({"engine", "subnet_tier", "storage_encrypted"}),
}

# The order resources are built in; deletion runs the other way.
PHASES: tuple[ComponentKind, ...] = (
    ComponentKind.NETWORK,
    ComponentKind.SUBNET,
    ComponentKind.SECURITY_GROUP,
    ComponentKind.INSTANCE_GROUP,
    ComponentKind.DATABASE,
    ComponentKind.BUCKET,
    ComponentKind.DISTRIBUTION,
    ComponentKind.HOSTED_ZONE,
    ComponentKind.SHIELD,
    ComponentKind.ALARM,
    ComponentKind.MONITORING,
    ComponentKind.BACKUP,
    ComponentKind.BACKUP_PLAN,
)


def _dump(model: Model, *, sort: Iterable[str] = ()) -> Attributes:
    data: Attributes = model.model_dump(mode="json", exclude={"name"})
    for attribute in sort:
        items = data[attribute]
        assert isinstance(items, list)  # a model's tuple, dumped as a JSON list
        data[attribute] = sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    return data


def _shield_names(infrastructure: Infrastructure) -> Attributes:
    """Shield as the sorted names it protects (``all`` expanded), so design and live compare directly."""
    shield = infrastructure.shield
    groups = [g.name for g in infrastructure.compute.values() if g.elastic_ip and shield.covers_eips_of(g.name)]
    return {
        "advanced": shield.advanced,
        "elastic_ips": sorted(groups),
        "distributions": sorted(d for d in infrastructure.distributions if shield.covers_distribution(d)),
        "hosted_zones": sorted(z for z in infrastructure.dns if shield.covers_zone(z)),
    }


def components(infrastructure: Infrastructure, *, has_network: bool = True) -> dict[Key, Attributes]:
    """Every provisionable thing in an infrastructure, as flat attributes."""
    items: dict[Key, Attributes] = {}
    network = infrastructure.network
    if has_network:
        items[(ComponentKind.NETWORK, "network")] = {"vpc_cidr": str(network.vpc_cidr)}
    for name, subnet in network.subnets.items():
        items[(ComponentKind.SUBNET, name)] = _dump(subnet)
    for name, group in network.security_groups.items():
        items[(ComponentKind.SECURITY_GROUP, name)] = _dump(group, sort=("ingress", "egress"))
    for name, instances in infrastructure.compute.items():
        items[(ComponentKind.INSTANCE_GROUP, name)] = _dump(instances, sort=("security_groups",))
    for name, database in infrastructure.databases.items():
        items[(ComponentKind.DATABASE, name)] = _dump(database, sort=("security_groups",))
    for name, bucket in infrastructure.buckets.items():
        items[(ComponentKind.BUCKET, name)] = _dump(bucket)
    for name, distribution in infrastructure.distributions.items():
        items[(ComponentKind.DISTRIBUTION, name)] = _dump(distribution, sort=("aliases",))
    for name, zone in infrastructure.dns.items():
        items[(ComponentKind.HOSTED_ZONE, name)] = _dump(zone, sort=("records",))
    items[(ComponentKind.SHIELD, "shield")] = _shield_names(infrastructure)
    monitoring = infrastructure.monitoring
    for name, alarm in monitoring.alarms.items():
        items[(ComponentKind.ALARM, name)] = _dump(alarm)
    if monitoring.alarms:
        # Alarms notify SNS topics; an e-mail address in the design is for people, not an alarm action.
        notify = sorted(target for target in monitoring.notify if target.startswith("arn:"))
        items[(ComponentKind.MONITORING, "monitoring")] = {"notify": notify}
    backup = infrastructure.backup
    if backup.plans:
        items[(ComponentKind.BACKUP, backup.vault)] = {}
    for name, plan in backup.plans.items():
        items[(ComponentKind.BACKUP_PLAN, name)] = _dump(plan, sort=("components",))
    return items


def live_components(snapshot: Snapshot) -> dict[Key, Attributes]:
    infrastructure = infrastructure_of(snapshot)
    items = components(infrastructure, has_network=bool(snapshot.vpc_cidrs))
    # The vault list is account-wide: only the vault the design names is ours to compare.
    items = {key: value for key, value in items.items() if key[0] is not ComponentKind.BACKUP}
    for vault in snapshot.backup_vaults:
        items[(ComponentKind.BACKUP, vault)] = {}
    return items


def live_digest(snapshot: Snapshot) -> str:
    """Identity of the live state a plan was made against (changes when anything the plan reads changes)."""
    return digest_of(live_components(snapshot))


def digest_of(live: dict[Key, Attributes]) -> str:
    canonical = json.dumps(
        sorted((f"{kind.value}:{name}", attributes) for (kind, name), attributes in live.items()),
        sort_keys=True,
        separators=(",", ":"),
    )
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _changed(kind: ComponentKind, desired: Attributes, live: Attributes, ignore: set[str]) -> list[AttributeChange]:
    replaced = REPLACED_BY.get(kind, frozenset())
    changes = []
    for attribute in sorted(set(desired) | set(live)):
        if attribute in ignore:
            continue
        before, after = live.get(attribute), desired.get(attribute)
        if before != after:
            changes.append(AttributeChange(attribute, before, after, attribute in replaced))
    return changes


def diff(desired: Infrastructure, snapshot: Snapshot, live: dict[Key, Attributes] | None = None) -> tuple[Change, ...]:
    """The changes that turn the live snapshot into the design, in build order (``live``: the snapshot's
    components, when the caller has already assembled them)."""
    wanted = components(desired)
    live = live if live is not None else live_components(snapshot)
    coverage_unknown = Section.BACKUP_SELECTIONS in snapshot.unavailable
    changes = []
    for key in sorted(set(wanted) | set(live), key=lambda k: (PHASES.index(k[0]), k[1])):
        kind, name = key
        if key not in live:
            after = wanted[key]
            attributes = tuple(AttributeChange(a, None, v) for a, v in sorted(after.items()))
            changes.append(Change(kind, name, Action.CREATE, attributes))
            continue
        if key not in wanted:
            if kind in (ComponentKind.BACKUP, ComponentKind.SHIELD):
                continue  # vaults and the Shield subscription are account-wide: never deleted as "extra"
            attributes = tuple(AttributeChange(a, v, None) for a, v in sorted(live[key].items()))
            changes.append(Change(kind, name, Action.DELETE, attributes))
            continue
        ignore: set[str] = set()
        if kind is ComponentKind.BACKUP_PLAN and coverage_unknown:
            ignore.add("components")
        if kind is ComponentKind.SHIELD and not wanted[key]["advanced"]:
            ignore.add("advanced")  # a subscription is never cancelled by a design that does not use it
        attributes = tuple(_changed(kind, wanted[key], live[key], ignore))
        if not attributes:
            action = Action.NOOP
        elif any(a.forces_replacement for a in attributes):
            action = Action.REPLACE
        else:
            action = Action.UPDATE
        changes.append(Change(kind, name, action, attributes, unknown=tuple(sorted(ignore & {"components"}))))
    return tuple(changes)
