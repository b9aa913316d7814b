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
from infragate.model import Infrastructure, SecurityRule, Tier
from infragate.policy.exposure import internet_wide

GRAPH = {"fontname": "DejaVu Sans", "fontsize": "13", "pad": "0.3", "splines": "spline"}
DASHED = {"style": "dashed", "color": "gray40"}


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
    """Write ``path``.png and ``path``.svg: VPC → zones → subnets → components, rules as labelled edges."""
    require_graphviz()
    network = infra.network
    with Diagram(title, filename=str(path), outformat=["png", "svg"], show=False, direction="TB", graph_attr=GRAPH):
        placed: dict[str, list[Node]] = {}
        with Cluster(f"VPC {network.vpc_cidr}"):
            for zone in network.availability_zones:
                with Cluster(f"availability zone {zone}"):
                    for name, subnet in sorted(network.subnets.items()):
                        if subnet.availability_zone != zone:
                            continue
                        with Cluster(f"{subnet.tier.value} subnet {name}\n{subnet.cidr}"):
                            members = _members(infra, subnet.tier, name)
                            if not members:
                                Node(f"{name} (empty)", shape="plaintext")
                            for component, kind in members:
                                node = (EC2 if kind == "ec2" else RDS)(component)
                                placed.setdefault(component, []).append(node)
        peers: dict[str, Node] = {}
        for sg_name, sg in sorted(network.security_groups.items()):
            targets = [c for c, g in _sg_users(infra).items() if sg_name in g]
            for rule in sg.ingress:
                label = f"{_rule_label(rule)}\n{rule.description}".strip()
                if rule.cidr is not None:
                    peer = str(rule.cidr)
                    if peer not in peers:
                        peers[peer] = InternetAlt1("internet" if internet_wide(rule.cidr) else peer)
                    sources = [peers[peer]]
                else:
                    sources = [n for c, g in _sg_users(infra).items() if rule.group in g for n in placed.get(c, [])[:1]]
                for target in targets:
                    for source in sources:
                        for node in placed.get(target, [])[:1]:
                            source >> Edge(label=label) >> node


def _sg_users(infra: Infrastructure) -> dict[str, tuple[str, ...]]:
    users = {name: g.security_groups for name, g in infra.compute.items()}
    users |= {name: d.security_groups for name, d in infra.databases.items()}
    return users


def _members(infra: Infrastructure, tier: Tier, subnet: str) -> list[tuple[str, str]]:
    """Components placed in a subnet: instance groups and databases spread over every subnet of their tier."""
    members = [(name, "ec2") for name, g in sorted(infra.compute.items()) if g.subnet_tier is tier and g.count > 0]
    members += [(name, "rds") for name, d in sorted(infra.databases.items()) if d.subnet_tier is tier]
    return members
