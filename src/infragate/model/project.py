"""Project-level models: who owns it, its environments, and the waivers it was granted."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema

from infragate.model.base import Component, Model, Named, as_tuple
from infragate.model.delivery import Repository
from infragate.model.names import CLIENT_MAX, PERSON_MAX
from infragate.model.scanning import ScanSettings
from infragate.model.stress import StressSettings
from infragate.model.testing import MAX_CASES, EndpointList, TestCase, Workload


class Role(StrEnum):
    """The policy's roles (see the clause index)."""

    LEAD = "lead"
    INFRA = "infra"
    DEVELOPER = "developer"
    SECURITY = "security"
    CLIENT = "client"
    ADMIN = "admin"


People = Annotated[
    tuple[Annotated[str, Field(max_length=PERSON_MAX)], ...],
    BeforeValidator(as_tuple),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}),
]


class Owners(Model):
    """Named people per accountable role; a single name or a list."""

    lead: People = ()
    infra: People = ()
    developer: People = ()
    security: People = ()

    def of(self, role: Role) -> tuple[str, ...]:
        people: tuple[str, ...] = getattr(self, role.value, ())
        return people


PRODUCTION_NAMES = frozenset({"production", "prod", "prd", "live"})
"""Environment names that mean production: production rules apply unless the design says otherwise."""


class Project(Model):
    name: str = Field(pattern=r"^[a-z][a-z0-9-]{1,40}$", examples=["webshop"])
    client: str = Field(min_length=1, max_length=CLIENT_MAX)
    description: str = ""
    owners: Owners = Owners()
    pentest_requested: bool = False
    repository: Repository | None = Field(
        default=None, description="The GitHub repository and CircleCI pipeline that deploy it (ICP-3.1)"
    )
    tags: dict[Annotated[str, Field(min_length=1, max_length=128)], Annotated[str, Field(max_length=256)]] = Field(
        default_factory=dict,
        max_length=50,
        description="The project's labels (cost centre, owner team, data class): what the organisation's policy "
        "packs may require",
    )
    notify: dict[Role, tuple[Annotated[str, Field(min_length=3)], ...]] = Field(
        default_factory=dict,
        description="Apprise URLs per role (mailto://…, slack://…, json://host/path): who hears of failed "
        "schedules, drift and new high findings",
    )


def _embedded_shorthand(value: object) -> object:
    if value == "embedded":
        return {}
    if isinstance(value, str):
        raise ValueError(f"expected 'embedded' or a mapping with account_id (and profile or role_arn), got '{value}'")
    return value


class AwsTarget(Model):
    """Which AWS an environment uses: ``embedded`` (the local emulator) or a real account."""

    account_id: str | None = Field(default=None, pattern=r"^\d{12}$")
    profile: str | None = None
    role_arn: str | None = Field(default=None, pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")

    @property
    def embedded(self) -> bool:
        return self.account_id is None


CRON_FIELD = r"(\*|\d+(-\d+)?)(/\d+)?(,(\d+(-\d+)?)(/\d+)?)*"


class ScheduleSpec(Component):
    """A recurring job for the environment: ``drift`` (verify, then audit), ``verify``, ``audit`` or ``scan``."""

    kind: Literal["drift", "verify", "audit", "scan"] = "drift"
    cron: str = Field(
        pattern=rf"^{CRON_FIELD}( {CRON_FIELD}){{4}}$",
        description="minute hour day-of-month month day-of-week, in UTC",
        examples=["0 3 * * *"],
    )


class EnvironmentSettings(Component):
    production: bool | None = Field(
        default=None, description="Production rules apply; defaults to true for 'production', 'prod', 'prd' and 'live'"
    )
    region: str = Field(default="us-east-1", pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    aws: Annotated[
        AwsTarget,
        BeforeValidator(_embedded_shorthand),
        WithJsonSchema({"anyOf": [{"const": "embedded"}, AwsTarget.model_json_schema()]}),
    ] = AwsTarget()
    requires_approval: bool = False
    endpoints: EndpointList = Field(
        default=(), description="URLs that tests, scans and stress tests may hit (a URL, or url with resolve, health)"
    )
    ca_bundle: str | None = Field(
        default=None,
        description="Certificates the tests trust besides the system's: a PEM file beside the design, or "
        "'workload' for the local CA of the environment's workload",
    )
    tests: tuple[TestCase, ...] = Field(default=(), max_length=MAX_CASES, description="Test cases to add")
    workload: Workload | None = Field(default=None, description="Serves the application on embedded AWS")
    stress: StressSettings | None = Field(
        default=None, description="The stress scenario: weighted requests, the load profile, hard caps"
    )
    scan: ScanSettings = Field(
        default_factory=ScanSettings, description="OWASP scans: engine, profile, how recent for ICP-4.1, limits"
    )
    overrides: dict[str, object] = Field(
        default_factory=dict, description="Partial design merged over the base for this environment"
    )
    schedules: Named[ScheduleSpec] = Field(
        default_factory=dict, description="Recurring jobs, e.g. nightly-drift: {kind: drift, cron: '0 3 * * *'}"
    )

    @property
    def is_production(self) -> bool:
        if self.production is not None:
            return self.production
        return self.named_like_production

    @property
    def named_like_production(self) -> bool:
        return self.name.lower() in PRODUCTION_NAMES


class Waiver(Model):
    """An approved, time-limited exception to one rule for one component (or every component: '*')."""

    rule: str = Field(pattern=r"^[A-Z][A-Z0-9]{1,4}-\d{3}$")
    component: str = "*"
    environments: tuple[str, ...] = Field(default=(), description="Empty means every environment")
    reason: str = Field(min_length=10)
    approver: str = Field(min_length=1, max_length=PERSON_MAX)
    expires: date

    def covers(self, rule: str, component: str, environment: str) -> bool:
        return (
            self.rule == rule
            and self.component in ("*", component)
            and (not self.environments or environment in self.environments)
        )

    def expired(self, today: date) -> bool:
        return self.expires < today
