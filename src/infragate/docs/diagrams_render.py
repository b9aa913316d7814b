"""The two diagrams of a design, drawn with the ``diagrams`` library (official AWS icons) and Graphviz.

* architecture: Route 53 → CloudFront → EC2 instance groups → RDS, with S3 origins, Shield and Backup;
* network layout: the VPC, its availability zones and subnets, what sits in each subnet, and the
  security-group rules as labelled edges (who may talk to whom, on which port).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from diagrams import Cluster, Diagram, Edge, Node
from diagrams.aws.compute import EC2
from diagrams.aws.database import RDS
from diagrams.aws.general import InternetAlt1
from diagrams.aws.network import CloudFront, Route53HostedZone
from diagrams.aws.security import ShieldAdvanced
from diagrams.aws.storage import S3, Backup

from infragate.errors import OutputError
from infragate.model import Infrastructure, SecurityRule
from infragate.policy.exposure import internet_wide

GRAPH = {"fontname": "DejaVu Sans", "fontsize": "13", "pad": "0.3", "splines": "spline"}
DASHED = {"style": "dashed", "color": "gray40"}
DOTTED = {"style": "dotted", "color": "gray30"}
LEGEND: tuple[tuple[dict[str, str], str], ...] = (
    ({}, "requests and traffic: DNS, origins, security-group rules"),
    (DASHED, "protected by Shield Advanced, or backed up by AWS Backup"),
    (DOTTED, "CloudFront writes its access logs to this bucket"),
)


def _legend() -> None:
    """Each line style drawn once, with what it means."""
    dot = {"shape": "point", "width": "0.06", "height": "0.06", "fixedsize": "true"}
    with Cluster("Legend", graph_attr={"fontsize": "11", "style": "rounded", "color": "gray60", "bgcolor": "white"}):
        for style, meaning in LEGEND:
            Node("", **dot) >> Edge(label=meaning, fontsize="11", minlen="3", **style) >> Node("", **dot)


def require_graphviz() -> None:
    if shutil.which("dot") is None:
        raise OutputError(
            "design docs need Graphviz, and its `dot` command is not installed",
            hint="Install the system package: apt-get install graphviz (brew install graphviz on macOS).",
        )


def architecture(infra: Infrastructure, title: str, path: Path) -> None:
    """Write ``path``.png and ``path``.svg."""
    require_graphviz()
    with Diagram(title, filename=str(path), outformat=["png", "svg"], show=False, direction="LR", graph_attr=GRAPH):
        groups = {name: EC2(f"{name}\n{g.count} × {g.instance_type}") for name, g in infra.compute.items()}
        databases = {name: RDS(f"{name}\n{d.engine.value} {d.engine_version}") for name, d in infra.databases.items()}
        buckets = {name: S3(name) for name, b in infra.buckets.items()}
        distributions = {name: CloudFront(name) for name in infra.distributions}
        zones = {name: Route53HostedZone(name) for name in infra.dns}
        for name, zone in infra.dns.items():
            for record in zone.records:
                label = record.fqdn(name)
                if record.alias_distribution in distributions:
                    zones[name] >> Edge(label=label) >> distributions[record.alias_distribution]
                elif record.instance_group in groups:
                    zones[name] >> Edge(label=label) >> groups[record.instance_group]
        for name, dist in infra.distributions.items():
            for origin in dist.origins:
                target = buckets.get(origin.bucket or "") or groups.get(origin.instance_group or "")
                if target is not None:
                    distributions[name] >> Edge(label=origin.path_pattern) >> target
        for name, dist in infra.distributions.items():
            if dist.logging_bucket in buckets:
                distributions[name] >> Edge(label="access logs", **DOTTED) >> buckets[dist.logging_bucket]
        for source, target, label in _talks(infra):
            nodes = {**groups, **databases}
            if source in nodes and target in nodes:
                nodes[source] >> Edge(label=label) >> nodes[target]
        if infra.shield.advanced:
            shield = ShieldAdvanced("Shield Advanced")
            protected: list[Node] = [
                groups[g] for g, grp in infra.compute.items() if grp.elastic_ip and infra.shield.covers_eips_of(g)
            ]
            protected += [distributions[d] for d in distributions if infra.shield.covers_distribution(d)]
            protected += [zones[z] for z in zones if infra.shield.covers_zone(z)]
            for node in protected:
                shield >> Edge(**DASHED) >> node
        _legend()
        if infra.backup.plans:
            backup = Backup(f"Backup\n{infra.backup.vault}")
            covered = {c for plan in infra.backup.plans.values() for c in plan.components}
            for name in sorted(covered):
                node = groups.get(name) or databases.get(name) or buckets.get(name)
                if node is not None:
                    backup >> Edge(**DASHED) >> node


def _rule_label(rule: SecurityRule) -> str:
    return f"{rule.protocol.value} {rule.ports}"


def _talks(infra: Infrastructure) -> list[tuple[str, str, str]]:
    """(from component, to component, "tcp 5432") for every ingress rule that names another security group."""
    users: dict[str, list[str]] = {}
    for name, groups in _sg_users(infra).items():
        for sg in groups:
            users.setdefault(sg, []).append(name)
    talks = []
    for sg_name, group in infra.network.security_groups.items():
        for rule in group.ingress:
            if rule.group is None:
                continue
            for source in users.get(rule.group, []):
                for target in users.get(sg_name, []):
                    talks.append((source, target, _rule_label(rule)))
    return sorted(set(talks))


def network_layout(infra: Infrastructure, title: str, path: Path) -> None:
    """Write ``path``.png and ``path``.svg: VPC → zones → subnets → components, rules as labelled edges.

    ``infra`` is one environment's (overrides applied), and components are drawn where that environment puts
    them: instances round-robin over their tier's subnets, as apply places them; a single-AZ database in one
    subnet, a multi-AZ one as primary and standby. Every copy of a component gets the edges of its rules."""
    require_graphviz()
    network = infra.network
    placement = _placement(infra)
    with Diagram(title, filename=str(path), outformat=["png", "svg"], show=False, direction="TB", graph_attr=GRAPH):
        placed: dict[str, list[tuple[str, Node]]] = {}  # component -> (zone, node) for every copy
        with Cluster(f"VPC {network.vpc_cidr}"):
            for zone in network.availability_zones:
                with Cluster(f"availability zone {zone}"):
                    for name, subnet in sorted(network.subnets.items()):
                        if subnet.availability_zone != zone:
                            continue
                        with Cluster(f"{subnet.tier.value} subnet {name}\n{subnet.cidr}"):
                            members = placement.get(name, [])
                            if not members:
                                Node(f"{name} (empty)", shape="plaintext")
                            for component, kind, label in members:
                                node = (EC2 if kind == "ec2" else RDS)(label)
                                placed.setdefault(component, []).append((zone, node))
        peers: dict[str, Node] = {}
        users = _sg_users(infra)
        for sg_name, sg in sorted(network.security_groups.items()):
            targets = [c for c, g in users.items() if sg_name in g]
            for rule in sg.ingress:
                label = f"{_rule_label(rule)}\n{rule.description}".strip()
                for target in targets:
                    for zone, node in placed.get(target, []):
                        source = _source(rule, zone, peers, placed, users)
                        if source is not None:
                            source >> Edge(label=label) >> node


def _source(
    rule: SecurityRule,
    zone: str,
    peers: dict[str, Node],
    placed: dict[str, list[tuple[str, Node]]],
    users: dict[str, tuple[str, ...]],
) -> Node | None:
    """Where a rule's traffic comes from, for a target copy in ``zone``: the address range's node, or the
    nearest copy (same zone first) of a component using the peer security group."""
    if rule.cidr is not None:
        peer = str(rule.cidr)
        if peer not in peers:
            peers[peer] = InternetAlt1("internet" if internet_wide(rule.cidr) else peer)
        return peers[peer]
    copies = [copy for c, g in users.items() if rule.group in g for copy in placed.get(c, [])]
    same_zone = [node for copy_zone, node in copies if copy_zone == zone]
    return (same_zone or [node for _, node in copies] or [None])[0]


def _placement(infra: Infrastructure) -> dict[str, list[tuple[str, str, str]]]:
    """Subnet -> (component, "ec2"/"rds", label) for what this environment runs in it."""
    placement: dict[str, list[tuple[str, str, str]]] = {}
    for name, group in sorted(infra.compute.items()):
        subnets = sorted(n for n, s in infra.network.subnets.items() if s.tier is group.subnet_tier)
        for index, subnet in enumerate(subnets):
            count = len(range(index, group.count, len(subnets)))  # round-robin, as apply places them
            if count:
                placement.setdefault(subnet, []).append((name, "ec2", f"{name}\n{count} × {group.instance_type}"))
    for name, db in sorted(infra.databases.items()):
        subnets = sorted(n for n, s in infra.network.subnets.items() if s.tier is db.subnet_tier)
        zones_seen: set[str] = set()
        copies = []
        for subnet in subnets:  # one subnet per zone: the primary, then (multi-AZ) the standby
            zone = infra.network.subnets[subnet].availability_zone
            if zone not in zones_seen:
                zones_seen.add(zone)
                copies.append(subnet)
        roles = ("primary", "standby") if db.multi_az else ("single-AZ",)
        for subnet, role in zip(copies, roles, strict=False):
            placement.setdefault(subnet, []).append((name, "rds", f"{name}\n{role}"))
    return placement


def _sg_users(infra: Infrastructure) -> dict[str, tuple[str, ...]]:
    users = {name: g.security_groups for name, g in infra.compute.items()}
    users |= {name: d.security_groups for name, d in infra.databases.items()}
    return users
