"""Network rules: availability of subnets, and security groups that do not open admin or data ports."""

from __future__ import annotations

from infragate.model import Section, SecurityGroup, Subnet, Tier
from infragate.model.base import ComponentKind
from infragate.model.names import is_placeholder
from infragate.model.network import Protocol
from infragate.policy.context import RuleContext
from infragate.policy.exposure import (
    ADMIN_PORTS,
    DATABASE_PORTS,
    ENGINE_PORTS,
    exposed,
    internet_wide,
    opens_nearly_every_port,
)
from infragate.policy.findings import Severity
from infragate.policy.registry import DESIGN_ONLY, RuleMeta, RuleSet, Verdict, fail, ok

rules = RuleSet(reads=(Section.NETWORK,))


@rules.whole(
    RuleMeta(
        id="NET-001",
        decides="Fails when the subnets of a tier lie in fewer than 2 availability zones.",
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


def _no_world_ingress(group: SecurityGroup, ports: dict[int, str], what: str) -> Verdict:
    found = exposed(group, ports)
    if found:
        return fail(f"Security group {group.name} allows {', '.join(found)}.")
    return ok(f"Security group {group.name} does not open {what} to internet-wide address ranges.")


def database_ports(context: RuleContext) -> dict[int, str]:
    """The engines people expose, plus the port of every database of this design (by its engine)."""
    ports = dict(DATABASE_PORTS)
    for db in context.infrastructure.databases.values():
        family = next((f for f in ENGINE_PORTS if db.engine.value.startswith(f)), None)
        if family is not None:
            port, name = ENGINE_PORTS[family]
            ports.setdefault(port, f"{name} ({db.name})")
    return ports


@rules.each(
    RuleMeta(
        id="NET-002",
        decides="Fails when a rule over TCP, UDP or all protocols covers port 22 from an internet-wide range (IPv4 /8"
        " or broader outside private space, IPv6 /16 or broader reaching 2000::/3), whatever the spelling "
        "(0.0.0.0/1, 20-23, ::/0). ICMP has no ports.",
        title="No security group allows SSH from the internet",
        severity=Severity.CRITICAL,
        clause="ICP-1.1",
        rationale="SSH open to 0.0.0.0/0 invites brute force and exploitation of the SSH daemon.",
        remediation="Allow port 22 only from a VPN or bastion CIDR, or use SSM Session Manager instead.",
    ),
    over=SecurityGroup,
)
def security_group_ssh_not_public(group: SecurityGroup, context: RuleContext) -> Verdict:
    return _no_world_ingress(group, {22: ADMIN_PORTS[22]}, "SSH")


@rules.each(
    RuleMeta(
        id="NET-003",
        decides="As NET-002, for port 3389 (RDP).",
        title="No security group allows RDP from the internet",
        severity=Severity.CRITICAL,
        clause="ICP-1.1",
        rationale="RDP open to the internet is one of the most common ways servers are compromised.",
        remediation="Allow port 3389 only from a VPN or bastion CIDR.",
    ),
    over=SecurityGroup,
)
def security_group_rdp_not_public(group: SecurityGroup, context: RuleContext) -> Verdict:
    return _no_world_ingress(group, {3389: ADMIN_PORTS[3389]}, "RDP")


@rules.each(
    RuleMeta(
        id="NET-004",
        decides="As NET-002, for the ports of common database engines (PostgreSQL, MySQL/MariaDB, SQL Server, Oracle "
        "listeners, MongoDB, Redis, Elasticsearch/OpenSearch, Memcached, Cassandra, CouchDB, Neo4j, Db2, "
        "\u2026) and the port of each database of the design.",
        title="No security group allows database ports from the internet",
        severity=Severity.CRITICAL,
        clause="ICP-1.1",
        rationale="Databases reachable from the internet leak data through weak credentials or engine bugs.",
        remediation="Allow database ports only from the application's security group.",
    ),
    over=SecurityGroup,
)
def security_group_database_ports_not_public(group: SecurityGroup, context: RuleContext) -> Verdict:
    return _no_world_ingress(group, database_ports(context), "database ports")


@rules.each(
    RuleMeta(
        id="NET-005",
        decides="Fails when the TCP or UDP ports a group opens to internet-wide ranges, joined over all its rules, "
        "cover at least 64,512 of 65,535 ports (1024-65535 counts), or a rule allows all protocols. ICMP "
        "never counts.",
        title="No security group allows every port from the internet",
        severity=Severity.HIGH,
        clause="ICP-1.1",
        rationale="Opening all ports exposes every service on the host, including ones nobody meant to publish.",
        remediation="List only the ports the service needs (usually 443).",
    ),
    over=SecurityGroup,
)
def security_group_all_ports_not_public(group: SecurityGroup, context: RuleContext) -> Verdict:
    world = [rule for rule in group.ingress if internet_wide(rule.cidr)]
    if opens_nearly_every_port(world):
        sources = ", ".join(sorted({str(rule.cidr) for rule in world if rule.protocol is not Protocol.ICMP}))
        return fail(f"Security group {group.name} opens (nearly) every port to {sources}.")
    return ok(f"Security group {group.name} opens only specific ports to internet-wide address ranges.")


@rules.each(
    RuleMeta(
        id="NET-006",
        decides="Design only: fails a subnet outside the VPC CIDR or overlapping another subnet.",
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
        decides="Fails when an ingress rule has no description, or only a placeholder ('TBD').",
        title="Every ingress rule says why it exists",
        severity=Severity.LOW,
        clause="ICP-1.3",
        rationale="Undocumented firewall rules are never removed, because nobody knows whether they are needed.",
        remediation="Add a 'description' to each ingress rule.",
    ),
    over=SecurityGroup,
)
def security_group_rules_documented(group: SecurityGroup, context: RuleContext) -> Verdict:
    missing = [str(index) for index, rule in enumerate(group.ingress) if is_placeholder(rule.description)]
    if missing:
        return fail(f"Security group {group.name} has ingress rules without a description (#{', #'.join(missing)}).")
    return ok(f"Every ingress rule of security group {group.name} has a description.")


@rules.each(
    RuleMeta(
        id="NET-008",
        decides="Fails when SSH, RDP or a database port is open to a public range narrower than internet-wide (a "
        "partner network, one public address); private ranges pass.",
        title="Admin and database ports are not open to public address ranges",
        severity=Severity.MEDIUM,
        clause="ICP-1.1",
        rationale="A narrower public range (a partner's network, a home address) is still someone else's "
        "network; admin and database ports belong behind a VPN or a bastion.",
        remediation="Reach admin and database ports from private ranges (VPN, bastion, peered VPC) only.",
    ),
    over=SecurityGroup,
)
def security_group_sensitive_ports_not_on_public_ranges(group: SecurityGroup, context: RuleContext) -> Verdict:
    found = exposed(group, ADMIN_PORTS | database_ports(context), reach="public")
    if found:
        return fail(f"Security group {group.name} allows {', '.join(found)}.")
    return ok(f"Security group {group.name} opens no admin or database port to a public address range.")
