"""Network rules: availability of subnets, and security groups that do not open admin or data ports."""

from __future__ import annotations

from infragate.model import Section, SecurityGroup, Subnet, Tier
from infragate.model.base import ComponentKind
from infragate.policy.context import RuleContext
from infragate.policy.findings import Severity
from infragate.policy.registry import DESIGN_ONLY, RuleMeta, RuleSet, Verdict, fail, ok

rules = RuleSet(reads=(Section.NETWORK,))

DATABASE_PORTS = {
    1433: "SQL Server",
    1521: "Oracle",
    3306: "MySQL",
    5432: "PostgreSQL",
    5439: "Redshift",
    6379: "Redis",
    9200: "Elasticsearch",
    11211: "Memcached",
    27017: "MongoDB",
}


@rules.whole(
    RuleMeta(
        id="NET-001",
        title="Subnets of each tier span at least two availability zones",
        severity=Severity.MEDIUM,
        clause="ICP-1.1",
        rationale="A tier in a single availability zone goes down with that zone.",
        remediation="Add a subnet of the same tier in a second availability zone.",
        production_only=True,
    ),
    ComponentKind.NETWORK,
    "network",
)
def network_tiers_span_two_zones(context: RuleContext) -> Verdict:
    network = context.infrastructure.network
    thin = [f"{tier} ({len(zones)})" for tier in Tier if 0 < len(zones := network.zones_of(tier)) < 2]
    if thin:
        return fail(f"Subnet tiers in fewer than two availability zones: {', '.join(thin)}.")
    return ok("Every subnet tier spans at least two availability zones.")


def _world_ingress(group: SecurityGroup, ports: dict[int, str]) -> list[str]:
    return [
        f"{name} ({port}) from {rule.cidr}"
        for rule in group.ingress
        if rule.open_to_world
        for port, name in ports.items()
        if rule.exposes(port)
    ]


def _no_world_ingress(group: SecurityGroup, ports: dict[int, str], what: str) -> Verdict:
    exposed = _world_ingress(group, ports)
    if exposed:
        return fail(f"Security group {group.name} allows {', '.join(exposed)}.")
    return ok(f"Security group {group.name} does not open {what} to the internet.")


@rules.each(
    RuleMeta(
        id="NET-002",
        title="No security group allows SSH from the internet",
        severity=Severity.CRITICAL,
        clause="ICP-1.1",
        rationale="SSH open to 0.0.0.0/0 invites brute force and exploitation of the SSH daemon.",
        remediation="Allow port 22 only from a VPN or bastion CIDR, or use SSM Session Manager instead.",
    ),
    over=SecurityGroup,
)
def security_group_ssh_not_public(group: SecurityGroup, context: RuleContext) -> Verdict:
    return _no_world_ingress(group, {22: "SSH"}, "SSH")


@rules.each(
    RuleMeta(
        id="NET-003",
        title="No security group allows RDP from the internet",
        severity=Severity.CRITICAL,
        clause="ICP-1.1",
        rationale="RDP open to the internet is one of the most common ways servers are compromised.",
        remediation="Allow port 3389 only from a VPN or bastion CIDR.",
    ),
    over=SecurityGroup,
)
def security_group_rdp_not_public(group: SecurityGroup, context: RuleContext) -> Verdict:
    return _no_world_ingress(group, {3389: "RDP"}, "RDP")


@rules.each(
    RuleMeta(
        id="NET-004",
        title="No security group allows database ports from the internet",
        severity=Severity.CRITICAL,
        clause="ICP-1.1",
        rationale="Databases reachable from the internet leak data through weak credentials or engine bugs.",
        remediation="Allow database ports only from the application's security group.",
    ),
    over=SecurityGroup,
)
def security_group_database_ports_not_public(group: SecurityGroup, context: RuleContext) -> Verdict:
    return _no_world_ingress(group, DATABASE_PORTS, "database ports")


@rules.each(
    RuleMeta(
        id="NET-005",
        title="No security group allows every port from the internet",
        severity=Severity.HIGH,
        clause="ICP-1.1",
        rationale="Opening all ports exposes every service on the host, including ones nobody meant to publish.",
        remediation="List only the ports the service needs (usually 443).",
    ),
    over=SecurityGroup,
)
def security_group_all_ports_not_public(group: SecurityGroup, context: RuleContext) -> Verdict:
    wide = [r for r in group.ingress if r.open_to_world and (r.ports.is_all or r.protocol.value == "all")]
    if wide:
        return fail(f"Security group {group.name} allows all ports from {wide[0].cidr}.")
    return ok(f"Security group {group.name} opens only specific ports to the internet.")


@rules.each(
    RuleMeta(
        id="NET-006",
        title="Subnets lie inside the VPC and do not overlap",
        severity=Severity.HIGH,
        clause="ICP-2.2",
        rationale="AWS rejects subnets outside the VPC CIDR or overlapping each other; provisioning would fail.",
        remediation="Choose subnet CIDRs inside vpc_cidr that do not overlap.",
        subjects=DESIGN_ONLY,
    ),
    over=Subnet,
)
def subnet_inside_vpc(subnet: Subnet, context: RuleContext) -> Verdict:
    network = context.infrastructure.network
    if not subnet.cidr.subnet_of(network.vpc_cidr):
        return fail(f"Subnet {subnet.name} ({subnet.cidr}) is outside the VPC {network.vpc_cidr}.")
    overlapping = [o.name for o in network.subnets.values() if o.name != subnet.name and o.cidr.overlaps(subnet.cidr)]
    if overlapping:
        return fail(f"Subnet {subnet.name} ({subnet.cidr}) overlaps {', '.join(overlapping)}.")
    return ok(f"Subnet {subnet.name} ({subnet.cidr}) lies inside the VPC and overlaps no other subnet.")


@rules.each(
    RuleMeta(
        id="NET-007",
        title="Every ingress rule says why it exists",
        severity=Severity.LOW,
        clause="ICP-1.3",
        rationale="Undocumented firewall rules are never removed, because nobody knows whether they are needed.",
        remediation="Add a 'description' to each ingress rule.",
    ),
    over=SecurityGroup,
)
def security_group_rules_documented(group: SecurityGroup, context: RuleContext) -> Verdict:
    missing = [str(index) for index, rule in enumerate(group.ingress) if not rule.description]
    if missing:
        return fail(f"Security group {group.name} has ingress rules without a description (#{', #'.join(missing)}).")
    return ok(f"Every ingress rule of security group {group.name} has a description.")
