"""Security-group permissions as EC2 spells them, parsed once for inventory and provisioning alike.

EC2 groups peers under one permission (``IpRanges``, ``Ipv6Ranges``, ``UserIdGroupPairs``,
``PrefixListIds``); here each (protocol, ports, peer) is one ``Permission``, so a rule set is a plain set
that can be diffed, and written back with ``to_api``. Prefix lists are peers like any other: a rule that
names one can be revoked, so a plan converges."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the documented shapes of EC2's permissions (boto3-stubs, for type checking only)
    from mypy_boto3_ec2.type_defs import IpPermissionOutputTypeDef, IpPermissionTypeDef


class PeerKind(StrEnum):
    CIDR4 = "IpRanges"
    CIDR6 = "Ipv6Ranges"
    GROUP = "UserIdGroupPairs"
    PREFIX_LIST = "PrefixListIds"


ALL_PROTOCOLS = "-1"


@dataclass(frozen=True, order=True)
class Permission:
    protocol: str  # as EC2 says it: "-1" (all), "tcp", "udp", "icmp", "icmpv6" or a number
    first: int  # -1 when the protocol has no ports
    last: int
    kind: PeerKind
    peer: str  # a CIDR, a security group id or a prefix list id
    description: str = ""

    @classmethod
    def of(cls, protocol: str, first: int, last: int, peer: str, description: str = "") -> Permission:
        """A permission for ``peer`` (kind inferred: ``sg-…``, ``pl-…``, IPv6 or IPv4 CIDR)."""
        if protocol == ALL_PROTOCOLS:
            first, last = -1, -1
        if peer.startswith("sg-"):
            kind = PeerKind.GROUP
        elif peer.startswith("pl-"):
            kind = PeerKind.PREFIX_LIST
        else:
            kind = PeerKind.CIDR6 if ":" in peer else PeerKind.CIDR4
        return cls(protocol, first, last, kind, peer, description)


def parse_permissions(permissions: Iterable[IpPermissionOutputTypeDef]) -> list[Permission]:
    """EC2's ``IpPermissions`` (or ``IpPermissionsEgress``), one Permission per peer."""
    result = []
    for permission in permissions:
        protocol = str(permission.get("IpProtocol", ALL_PROTOCOLS))
        first, last = permission.get("FromPort"), permission.get("ToPort")
        first, last = (-1, -1) if first is None or last is None else (int(first), int(last))
        peers = [
            *((r.get("CidrIp", ""), r.get("Description", "")) for r in permission.get("IpRanges", [])),
            *((r.get("CidrIpv6", ""), r.get("Description", "")) for r in permission.get("Ipv6Ranges", [])),
            *((g.get("GroupId", ""), g.get("Description", "")) for g in permission.get("UserIdGroupPairs", [])),
            *((p.get("PrefixListId", ""), p.get("Description", "")) for p in permission.get("PrefixListIds", [])),
        ]
        result += [Permission.of(protocol, first, last, str(peer), str(text)) for peer, text in peers]
    return result


def to_api(permission: Permission) -> IpPermissionTypeDef:
    """The ``IpPermissions`` entry that authorises or revokes exactly this permission."""
    api: IpPermissionTypeDef = {"IpProtocol": permission.protocol}
    if permission.protocol != ALL_PROTOCOLS:
        api["FromPort"], api["ToPort"] = permission.first, permission.last
    peer, described = permission.peer, permission.description
    if permission.kind is PeerKind.CIDR4:
        api["IpRanges"] = [{"CidrIp": peer, "Description": described} if described else {"CidrIp": peer}]
    elif permission.kind is PeerKind.CIDR6:
        api["Ipv6Ranges"] = [{"CidrIpv6": peer, "Description": described} if described else {"CidrIpv6": peer}]
    elif permission.kind is PeerKind.GROUP:
        api["UserIdGroupPairs"] = [{"GroupId": peer, "Description": described} if described else {"GroupId": peer}]
    else:
        api["PrefixListIds"] = [
            {"PrefixListId": peer, "Description": described} if described else {"PrefixListId": peer}
        ]
    return api
