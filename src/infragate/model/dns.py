"""Route 53 models."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from infragate.model.base import Component, Model


class RecordType(StrEnum):
    A = "A"
    AAAA = "AAAA"
    CNAME = "CNAME"
    TXT = "TXT"
    MX = "MX"
    NS = "NS"
    SOA = "SOA"
    SRV = "SRV"
    CAA = "CAA"
    PTR = "PTR"
    SPF = "SPF"
    NAPTR = "NAPTR"
    DS = "DS"


class Record(Model):
    """A record in a zone: an alias to a distribution, A records to a group's EIPs, or literal values."""

    name: str = Field(description="Relative name, or '@' for the zone apex", examples=["www", "@"])
    type: RecordType = RecordType.A
    alias_distribution: str | None = None
    instance_group: str | None = None
    values: tuple[str, ...] = ()
    ttl: int = Field(default=300, ge=0)

    @model_validator(mode="after")
    def _one_target(self) -> Record:
        targets = [self.alias_distribution is not None, self.instance_group is not None, bool(self.values)]
        if sum(targets) != 1:
            raise ValueError("a record needs exactly one of 'alias_distribution', 'instance_group' or 'values'")
        return self

    def fqdn(self, zone: str) -> str:
        return zone if self.name == "@" else f"{self.name}.{zone}"


class HostedZone(Component):
    """A public hosted zone; its name (the mapping key) is the domain."""

    records: tuple[Record, ...] = ()
