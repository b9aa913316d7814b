"""EC2 models: groups of identical instances."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from infragate.model.base import Component, Model, Tier


class InstanceRole(StrEnum):
    """What an instance group does; the web tier gets scalability rules."""

    WEB = "web"
    APP = "app"
    WORKER = "worker"
    BASTION = "bastion"


class VolumeType(StrEnum):
    GP3 = "gp3"
    GP2 = "gp2"
    IO1 = "io1"
    IO2 = "io2"
    ST1 = "st1"
    SC1 = "sc1"
    STANDARD = "standard"


class Volume(Model):
    size_gb: int = Field(default=20, ge=1, le=16384)
    type: VolumeType = VolumeType.GP3
    encrypted: bool = True


class InstanceGroup(Component):
    """N identical EC2 instances spread over the subnets of one tier."""

    role: InstanceRole = InstanceRole.APP
    count: int = Field(ge=0, le=1000)
    instance_type: str = Field(pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$", examples=["t3.medium"])
    ami: str = Field(pattern=r"^ami-[0-9a-f]{8,17}$", examples=["ami-0abcdef1234567890"])
    subnet_tier: Tier = Tier.PRIVATE
    elastic_ip: bool = False
    imdsv2: bool = True
    detailed_monitoring: bool = False
    root_volume: Volume = Volume()
    security_groups: tuple[str, ...] = ()
