"""What a rule sees: one environment's infrastructure plus the project around it, and, when the
infrastructure was read from AWS, the live facts no design has (addresses, protections)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TypeVar

from infragate.inventory import Snapshot
from infragate.model import EnvironmentSettings, Infrastructure, Project, Section, Waiver
from infragate.model.base import Component, ComponentKind

C = TypeVar("C", bound=Component)


class Subject(StrEnum):
    """What a rule judges: the design file (desired state) or the live account (observed state)."""

    DESIGN = "design"
    LIVE = "live"


@dataclass(frozen=True)
class RuleContext:
    infrastructure: Infrastructure
    environment: EnvironmentSettings
    today: date
    project: Project | None = None
    waivers: tuple[Waiver, ...] = ()
    rule_ids: frozenset[str] = field(default_factory=frozenset)
    live: Snapshot | None = None  # set when the infrastructure was read from AWS
    designed: Infrastructure | None = None  # in a project-scoped audit: what the design says should exist

    @property
    def subject(self) -> Subject:
        return Subject.DESIGN if self.live is None else Subject.LIVE

    @property
    def unavailable(self) -> frozenset[Section]:
        """Sections that could not be read from AWS; rules reading them are not evaluated."""
        return self.live.unavailable if self.live is not None else frozenset()

    @property
    def production(self) -> bool:
        return self.environment.is_production

    def components_of(self, cls: type[C]) -> list[tuple[ComponentKind, C]]:
        return [(kind, c) for kind, c in self.infrastructure.components() if isinstance(c, cls)]

    def active_waivers(self) -> list[Waiver]:
        """Waivers that name this environment (or every environment), expired or not."""
        env = self.environment.name
        return [w for w in self.waivers if not w.environments or env in w.environments]
