"""The design file format: the header (project, environments, waivers) plus the infrastructure sections."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from infragate.model import EnvironmentSettings, Infrastructure, Project, Waiver
from infragate.model.base import Model, Named


class DesignHeader(Model):
    """The parts of a design file that are not per-environment infrastructure."""

    version: Literal[1] = 1
    project: Project
    environments: Named[EnvironmentSettings] = Field(min_length=1)
    waivers: tuple[Waiver, ...] = ()
    compliance: tuple[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,31}$")], ...] = Field(
        default=(),
        max_length=20,
        description="Compliance frameworks the project is judged against (`infragate compliance frameworks`); "
        "the organisation's own policy (icp) is always judged",
    )

    policy_packs: tuple[Annotated[str, Field(min_length=1, max_length=300)], ...] = Field(
        default=(),
        max_length=20,
        description="The organisation's own rules as YAML policy packs, paths beside the design (README: Policy packs)",
    )


HEADER_KEYS = frozenset(DesignHeader.model_fields)
INFRASTRUCTURE_KEYS = frozenset(Infrastructure.model_fields)


class DesignDocument(DesignHeader, Infrastructure):
    """A whole design file; used for the JSON Schema and for "did you mean" suggestions."""


def json_schema() -> dict[str, object]:
    schema = DesignDocument.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "infragate design file"
    return schema
