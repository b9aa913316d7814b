"""Network models: VPC, subnets and security groups with their rules."""

from __future__ import annotations

from enum import StrEnum
from ipaddress import IPv4Network, IPv6Network
from typing import Annotated

from pydantic import BeforeValidator, Field, WithJsonSchema, model_validator

from infragate.model.base import Component, Model, Named, Tier


class Protocol(StrEnum):
    TCP = "tcp"
    UDP = "udp"
    ICMP = "icmp"
    ALL = "all"


class PortRange(Model):
    """An inclusive port range; ``all`` is 0-65535."""

    first: int = Field(ge=0, le=65535)
    last: int = Field(ge=0, le=65535)

    @model_validator(mode="after")
    def _ordered(self) -> PortRange:
        if self.first > self.last:
            raise ValueError(f"port range {self.first}-{self.last} is reversed")
        return self

    def covers(self, port: int) -> bool:
        return self.first <= port <= self.last

    @property
    def is_all(self) -> bool:
        return self.first == 0 and self.last == 65535

    def __str__(self) -> str:
        if self.is_all:
            return "all"
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"


def _parse_ports(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("expected a port number, a range like '8000-8100', or 'all'")
    if isinstance(value, int):
        return {"first": value, "last": value}
    if isinstance(value, str):
        text = value.strip()
        if text == "all":
            return {"first": 0, "last": 65535}
        first, sep, last = text.partition("-")
        if first.strip().isdigit() and (not sep or last.strip().isdigit()):
            return {"first": int(first), "last": int(last if sep else first)}
        raise ValueError(f"'{value}' is not a port, a range like '8000-8100', or 'all'")
    return value


Ports = Annotated[
    PortRange,
    BeforeValidator(_parse_ports),
    WithJsonSchema({"anyOf": [{"type": "integer"}, {"type": "string", "pattern": r"^(\d+(-\d+)?|all)$"}]}),
]


class SecurityRule(Model):
    """One ingress or egress rule: traffic on ``ports`` from/to a CIDR block or another security group."""

    protocol: Protocol = Protocol.TCP
    ports: Ports = PortRange(first=0, last=65535)
    cidr: IPv4Network | IPv6Network | None = None
    group: str | None = None
    description: str = ""

    @model_validator(mode="after")
    def _one_peer(self) -> SecurityRule:
        if (self.cidr is None) == (self.group is None):
            raise ValueError("a rule needs exactly one peer: 'cidr' (e.g. 10.0.0.0/16) or 'group' (a security group)")
        return self


class Subnet(Component):
    tier: Tier
    cidr: IPv4Network
    availability_zone: str


class SecurityGroup(Component):
    description: str = ""
    ingress: tuple[SecurityRule, ...] = ()
    egress: tuple[SecurityRule, ...] = (SecurityRule(protocol=Protocol.ALL, cidr=IPv4Network("0.0.0.0/0")),)


class Network(Model):
    vpc_cidr: IPv4Network
    availability_zones: tuple[str, ...] = Field(min_length=1)
    subnets: Named[Subnet] = Field(default_factory=dict)
    security_groups: Named[SecurityGroup] = Field(default_factory=dict)

    def subnets_in(self, tier: Tier) -> list[Subnet]:
        return [subnet for subnet in self.subnets.values() if subnet.tier is tier]

    def zones_of(self, tier: Tier) -> set[str]:
        return {subnet.availability_zone for subnet in self.subnets_in(tier)}
