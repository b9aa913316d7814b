"""EC2 collector: VPCs, subnets (public when routed to an internet gateway), security groups, instances
with their volumes, and Elastic IPs.

Instances become instance groups: within a project, the instances sharing an ``infragate:component`` tag
form one group; across an account each instance is its own group. A group's security settings are the
worst of its members (one instance without IMDSv2 makes the group fail), so nothing is averaged away.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from ipaddress import IPv4Network, ip_network
from typing import TYPE_CHECKING, Any

from infragate.inventory import arns
from infragate.inventory.permissions import PeerKind, parse_permissions
from infragate.inventory.runner import Collector
from infragate.inventory.scope import Scope, tag_map
from infragate.inventory.snapshot import LiveInstance, LiveVolume, Snapshot
from infragate.model import ComponentKind, InstanceGroup, Section, SecurityGroup, SecurityRule, Subnet, Tier, Volume
from infragate.model.compute import InstanceRole, VolumeType
from infragate.model.network import PortRange, Protocol

if TYPE_CHECKING:  # for annotations only: importing it at run time would load boto3 or SQLAlchemy
    from mypy_boto3_ec2.type_defs import IpPermissionOutputTypeDef

    from infragate.aws import AwsConnection

ROLE_TAG = "infragate:role"
LISTINGS = (
    ("describe_vpcs", "Vpcs"),
    ("describe_subnets", "Subnets"),
    ("describe_route_tables", "RouteTables"),
    ("describe_security_groups", "SecurityGroups"),
    ("describe_volumes", "Volumes"),
)
LIVE_STATES = ["pending", "running", "stopping", "stopped"]
PROTOCOLS = {"-1": Protocol.ALL, "tcp": Protocol.TCP, "6": Protocol.TCP, "udp": Protocol.UDP, "17": Protocol.UDP}
PROTOCOLS |= {"icmp": Protocol.ICMP, "1": Protocol.ICMP, "icmpv6": Protocol.ICMP, "58": Protocol.ICMP}


def _items(connection: AwsConnection, operation: str, key: str, region: str, **kwargs: Any) -> Iterator[Any]:
    for page in connection.pages("ec2", operation, region=region, **kwargs):
        yield from page.get(key, [])


def _public_subnet_ids(route_tables: Iterable[dict[str, Any]], subnets: Iterable[dict[str, Any]]) -> set[str]:
    """Subnets whose route table (explicit, else their VPC's main table) sends 0.0.0.0/0 to an internet gateway."""
    explicit: dict[str, bool] = {}
    main: dict[str, bool] = {}
    for table in route_tables:
        to_internet = any(
            str(route.get("GatewayId", "")).startswith("igw-")
            and (route.get("DestinationCidrBlock") == "0.0.0.0/0" or route.get("DestinationIpv6CidrBlock") == "::/0")
            for route in table.get("Routes", [])
        )
        for association in table.get("Associations", []):
            if association.get("Main"):
                main[table["VpcId"]] = to_internet
            elif association.get("SubnetId"):
                explicit[association["SubnetId"]] = to_internet
    return {
        subnet["SubnetId"] for subnet in subnets if explicit.get(subnet["SubnetId"], main.get(subnet["VpcId"], False))
    }


def _rules(permissions: Iterable[IpPermissionOutputTypeDef], group_names: dict[str, str]) -> tuple[SecurityRule, ...]:
    rules = []
    for permission in parse_permissions(permissions):
        protocol = PROTOCOLS.get(permission.protocol, Protocol.ALL)
        if protocol in (Protocol.ALL, Protocol.ICMP) or permission.first < 0:
            ports = PortRange(first=0, last=65535)
        else:
            ports = PortRange(first=permission.first, last=permission.last)
        if permission.kind in (PeerKind.CIDR4, PeerKind.CIDR6):
            peer: dict[str, Any] = {"cidr": ip_network(permission.peer, strict=False)}
        elif permission.kind is PeerKind.GROUP:
            peer = {"group": group_names.get(permission.peer, permission.peer)}
        else:  # a managed prefix list is a named set of CIDRs; it is shown as a peer name, like a group
            peer = {"group": permission.peer}
        rules.append(SecurityRule(protocol=protocol, ports=ports, description=permission.description, **peer))
    return tuple(rules)


@dataclass(frozen=True)
class _Member:
    """One instance, already reduced to the facts its group aggregates."""

    id: str
    tags: dict[str, str]
    instance_type: str
    ami: str
    public_subnet: bool
    elastic_ip: bool
    imdsv2: bool
    detailed_monitoring: bool
    volumes: tuple[dict[str, Any], ...]
    security_groups: tuple[str, ...]


def _imdsv2_only(options: dict[str, Any]) -> bool:
    """IMDSv1 is impossible when tokens are required, or when the metadata endpoint is off altogether."""
    return options.get("HttpTokens") == "required" or options.get("HttpEndpoint") == "disabled"


def _most_common(values: Iterable[str]) -> str:
    return Counter(values).most_common(1)[0][0]


def _group(name: str, members: list[_Member]) -> InstanceGroup:
    volumes = [volume for member in members for volume in member.volumes]
    role = members[0].tags.get(ROLE_TAG, InstanceRole.APP.value)
    return InstanceGroup(
        name=name,
        role=InstanceRole(role) if role in InstanceRole.__members__.values() else InstanceRole.APP,
        count=len(members),
        instance_type=_most_common(member.instance_type for member in members),
        ami=_most_common(member.ami for member in members),
        subnet_tier=Tier.PUBLIC if any(member.public_subnet for member in members) else Tier.PRIVATE,
        elastic_ip=all(member.elastic_ip for member in members),
        imdsv2=all(member.imdsv2 for member in members),
        detailed_monitoring=all(member.detailed_monitoring for member in members),
        root_volume=Volume(
            size_gb=min((int(volume.get("Size", 1)) for volume in volumes), default=1),
            type=VolumeType(_most_common(str(volume.get("VolumeType", "gp3")) for volume in volumes))
            if volumes
            else VolumeType.GP3,
            encrypted=all(bool(volume.get("Encrypted")) for volume in volumes),
        ),
        security_groups=tuple(sorted({group for member in members for group in member.security_groups})),
    )


def collect_ec2(connection: AwsConnection, scope: Scope, snapshot: Snapshot, region: str) -> None:
    account = snapshot.account
    # The listings are independent: fetch them at once (boto3 clients are thread-safe).
    with ThreadPoolExecutor(max_workers=min(len(LISTINGS) + 1, connection.spec.concurrency)) as pool:
        listed = {
            key: pool.submit(lambda op, k: list(_items(connection, op, k, region)), operation, key)
            for operation, key in LISTINGS
        }
        running = pool.submit(
            lambda: list(
                _items(
                    connection,
                    "describe_instances",
                    "Reservations",
                    region,
                    Filters=[{"Name": "instance-state-name", "Values": LIVE_STATES}],
                )
            )
        )
        addresses = connection.call("ec2", "describe_addresses", region=region).get("Addresses", [])
        vpcs, subnets = listed["Vpcs"].result(), listed["Subnets"].result()
        route_tables, groups = listed["RouteTables"].result(), listed["SecurityGroups"].result()
        volumes = {volume["VolumeId"]: volume for volume in listed["Volumes"].result()}
        instances = [instance for reservation in running.result() for instance in reservation.get("Instances", [])]

    for vpc in vpcs:
        if scope.includes(tag_map(vpc.get("Tags"))):
            cidr = ip_network(vpc["CidrBlock"], strict=False)
            if isinstance(cidr, IPv4Network):
                snapshot.vpc_cidrs[vpc["VpcId"]] = cidr

    public = _public_subnet_ids(route_tables, subnets)
    snapshot.public_subnet_ids |= public
    for subnet in subnets:
        tags = tag_map(subnet.get("Tags"))
        if not scope.includes(tags):
            continue
        name = scope.component_name(tags, subnet["SubnetId"])
        snapshot.subnets[name] = Subnet(
            name=name,
            tier=Tier.PUBLIC if subnet["SubnetId"] in public else Tier.PRIVATE,
            cidr=IPv4Network(subnet["CidrBlock"]),
            availability_zone=subnet["AvailabilityZone"],
        )
        snapshot.own(ComponentKind.SUBNET, name, subnet["SubnetId"], subnet.get("SubnetArn", ""))

    group_names = {g["GroupId"]: scope.component_name(tag_map(g.get("Tags")), g["GroupId"]) for g in groups}
    for group in groups:
        tags = tag_map(group.get("Tags"))
        if not scope.includes(tags):
            continue
        name = group_names[group["GroupId"]]
        snapshot.security_groups[name] = SecurityGroup(
            name=name,
            description=group.get("Description", ""),
            ingress=_rules(group.get("IpPermissions", []), group_names),
            egress=_rules(group.get("IpPermissionsEgress", []), group_names),
        )
        snapshot.own(ComponentKind.SECURITY_GROUP, name, group["GroupId"])

    eip_of_instance: dict[str, str] = {}
    for address in addresses:
        if "AllocationId" not in address:
            continue  # EC2-Classic addresses cannot be protected by Shield Advanced
        if address.get("InstanceId"):
            eip_of_instance[address["InstanceId"]] = arns.eip_allocation(region, account, address["AllocationId"])

    members: dict[str, list[_Member]] = {}
    for instance in instances:
        tags = tag_map(instance.get("Tags"))
        if not scope.includes(tags):
            continue
        instance_id = instance["InstanceId"]
        attached = [
            volumes[mapping["Ebs"]["VolumeId"]]
            for mapping in instance.get("BlockDeviceMappings", [])
            if mapping.get("Ebs", {}).get("VolumeId") in volumes
        ]
        member = _Member(
            id=instance_id,
            tags=tags,
            instance_type=instance["InstanceType"],
            ami=instance["ImageId"],
            public_subnet=instance.get("SubnetId") in public,
            elastic_ip=instance_id in eip_of_instance,
            imdsv2=_imdsv2_only(instance.get("MetadataOptions", {})),
            detailed_monitoring=instance.get("Monitoring", {}).get("State") == "enabled",
            volumes=tuple(attached),
            security_groups=tuple(group_names.get(g["GroupId"], g["GroupId"]) for g in instance["SecurityGroups"]),
        )
        group = scope.component_name(tags, instance_id)
        members.setdefault(group, []).append(member)
        arn = arns.instance(region, account, instance_id)
        snapshot.own(ComponentKind.INSTANCE_GROUP, group, instance_id, arn, tags=tags)
        snapshot.resource_ids[(ComponentKind.INSTANCE, instance_id)] = arn  # live-only rules judge instances
        snapshot.instances.append(
            LiveInstance(
                id=instance_id,
                arn=arn,
                group=group,
                region=region,
                public_ip=instance.get("PublicIpAddress"),
                eip_allocation_arn=eip_of_instance.get(instance_id),
            )
        )
    for name, group_members in members.items():
        snapshot.compute[name] = _group(name, group_members)
    for volume in volumes.values():
        if volume.get("Attachments") or not scope.includes(tag_map(volume.get("Tags"))):
            continue
        arn = arns.volume(region, account, volume["VolumeId"])
        snapshot.detached_volumes.append(LiveVolume(volume["VolumeId"], arn, bool(volume.get("Encrypted"))))
        snapshot.resource_ids[(ComponentKind.VOLUME, volume["VolumeId"])] = arn


COLLECTOR = Collector("ec2", frozenset({Section.NETWORK, Section.COMPUTE}), collect_ec2)
