"""Security-group permissions as EC2 spells them, parsed once for inventory and provisioning alike.

EC2 groups peers under one permission (``IpRanges``, ``Ipv6Ranges``, ``UserIdGroupPairs``,
``PrefixListIds``); here each (protocol, ports, peer) is one ``Permission``, so a rule set is a plain set
that can be diffed, and written back with ``to_api``. Prefix lists are peers like any other: a rule that
names one can be revoked, so a plan converges."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class PeerKind(StrEnum):
    CIDR4 = "IpRanges"
    CIDR6 = "Ipv6Ranges"
    GROUP = "UserIdGroupPairs"
    PREFIX_LIST = "PrefixListIds"


PEER_FIELD = {
    PeerKind.CIDR4: "CidrIp",
    PeerKind.CIDR6: "CidrIpv6",
    PeerKind.GROUP: "GroupId",
    PeerKind.PREFIX_LIST: "PrefixListId",
}
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


def parse_permissions(permissions: Iterable[dict[str, Any]]) -> list[Permission]:
    """EC2's ``IpPermissions`` (or ``IpPermissionsEgress``), one Permission per peer."""
    result = []
    for permission in permissions:
        protocol = str(permission.get("IpProtocol", ALL_PROTOCOLS))
        first = permission.get("FromPort", -1)
        last = permission.get("ToPort", -1)
        first, last = (-1, -1) if first is None or last is None else (int(first), int(last))
        for kind in PeerKind:
            for item in permission.get(kind.value, []):
                peer = str(item[PEER_FIELD[kind]])
                result.append(Permission.of(protocol, first, last, peer, str(item.get("Description", ""))))
    return result


def to_api(permission: Permission) -> dict[str, Any]:
    """The ``IpPermissions`` entry that authorises or revokes exactly this permission."""
    api: dict[str, Any] = {"IpProtocol": permission.protocol}
    if permission.protocol != ALL_PROTOCOLS:
        api |= {"FromPort": permission.first, "ToPort": permission.last}
    peer: dict[str, Any] = {PEER_FIELD[permission.kind]: permission.peer}
    if permission.description:
        peer["Description"] = permission.description
    api[permission.kind.value] = [peer]
    return api
