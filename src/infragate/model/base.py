"""Shared building blocks: the frozen base model, named components and the component kinds."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic.json_schema import SkipJsonSchema


class Model(BaseModel):
    """Frozen, strict-keyed base for every model: unknown keys are errors, values never change."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Component(Model):
    """A named thing in a design. The name is the key it is listed under, injected by its container."""

    name: SkipJsonSchema[str] = ""


class Tier(StrEnum):
    """Where a component sits in the network: reachable from the internet or not."""

    PUBLIC = "public"
    PRIVATE = "private"


class ComponentKind(StrEnum):
    """What a finding is about; also the section of the design it comes from."""

    PROJECT = "project"
    ENVIRONMENT = "environment"
    NETWORK = "network"
    SUBNET = "subnet"
    SECURITY_GROUP = "security-group"
    INSTANCE_GROUP = "instance-group"
    DATABASE = "database"
    BUCKET = "bucket"
    DISTRIBUTION = "distribution"
    HOSTED_ZONE = "hosted-zone"
    SHIELD = "shield"
    MONITORING = "monitoring"
    ALARM = "alarm"
    BACKUP = "backup"
    BACKUP_PLAN = "backup-plan"
    SERVICE = "service"
    WAIVER = "waiver"
    INSTANCE = "instance"  # one live EC2 instance (live-only rules)
    VOLUME = "volume"  # one live EBS volume attached to no instance (live-only rules)


def _inject_names(value: object) -> object:
    """Copy each mapping key into the component as its ``name`` (the key is the name)."""
    if isinstance(value, dict):
        return {key: ({**item, "name": str(key)} if isinstance(item, dict) else item) for key, item in value.items()}
    return value


C = TypeVar("C", bound=Component)

Named = Annotated[dict[str, C], BeforeValidator(_inject_names)]
"""A mapping of component name to component, e.g. ``compute: {web: {...}, worker: {...}}``."""


def as_tuple(value: object) -> object:
    """Accept a single scalar where a list is expected (``owners: {lead: alice}``)."""
    if isinstance(value, str | int):
        return (value,)
    return value
