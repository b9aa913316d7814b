"""What a rule sees: one environment's infrastructure plus the project around it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from infragate.model import EnvironmentSettings, Infrastructure, Project, Waiver
from infragate.model.base import Component, ComponentKind

C = TypeVar("C", bound=Component)


@dataclass(frozen=True)
class RuleContext:
    infrastructure: Infrastructure
    environment: EnvironmentSettings
    today: date
    project: Project | None = None
    waivers: tuple[Waiver, ...] = ()
    rule_ids: frozenset[str] = field(default_factory=frozenset)

    @property
    def production(self) -> bool:
        return self.environment.is_production

    def components_of(self, cls: type[C]) -> list[tuple[ComponentKind, C]]:
        return [(kind, c) for kind, c in self.infrastructure.components() if isinstance(c, cls)]

    def active_waivers(self) -> list[Waiver]:
        """Waivers that name this environment (or every environment), expired or not."""
        env = self.environment.name
        return [w for w in self.waivers if not w.environments or env in w.environments]
