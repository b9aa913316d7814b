"""The loaded design: typed per-environment infrastructure plus where each part is written."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from infragate.design.source_map import SourceMap
from infragate.errors import SourceLocation, UsageError, did_you_mean
from infragate.model import EnvironmentSettings, Infrastructure, Project, Waiver
from infragate.model.base import ComponentKind
from infragate.model.infrastructure import SECTION_OF

# Kinds whose findings are about a whole section rather than a named member of it.
_SECTION_LEVEL = (ComponentKind.NETWORK, ComponentKind.SHIELD, ComponentKind.MONITORING, ComponentKind.BACKUP)


@dataclass(frozen=True)
class EnvironmentDesign:
    """The design of one environment: base design with that environment's overrides applied."""

    settings: EnvironmentSettings
    infrastructure: Infrastructure
    source_map: SourceMap

    @property
    def name(self) -> str:
        return self.settings.name


@dataclass(frozen=True)
class Design:
    path: str
    digest: str
    project: Project
    environments: Mapping[str, EnvironmentDesign]
    waivers: tuple[Waiver, ...]
    source_map: SourceMap
    compliance: tuple[str, ...] = ()  # chosen framework ids (the policy package judges them)
    policy_packs: tuple[str, ...] = ()  # the organisation's rule packs, paths beside the design file

    def environment(self, name: str) -> EnvironmentDesign:
        try:
            return self.environments[name]
        except KeyError:
            known = sorted(self.environments)
            close = did_you_mean(name, known)
            suggestion = f"Did you mean '{close}'? " if close else ""
            raise UsageError(
                f"{self.path}: there is no environment '{name}'",
                hint=f"{suggestion}Environments in this design: {', '.join(known)}.",
            ) from None

    def select(self, name: str | None) -> list[EnvironmentDesign]:
        """One named environment, or all of them in file order."""
        return [self.environment(name)] if name else list(self.environments.values())

    def locate(self, environment: str, kind: ComponentKind, component: str) -> SourceLocation | None:
        """Where a finding's component is written (the override, when an environment overrides it)."""
        if kind is ComponentKind.ENVIRONMENT:
            return self.source_map.locate(("environments", component), key=True)
        if kind is ComponentKind.WAIVER:
            for index, waiver in enumerate(self.waivers):
                if f"{waiver.rule}/{waiver.component}" == component:
                    return self.source_map.locate(("waivers", index))
            return None
        if kind is ComponentKind.PROJECT:
            return self.source_map.locate(("project",), key=True)
        section = SECTION_OF.get(kind)
        env = self.environments.get(environment)
        if section is None or env is None:
            return None
        path = section if kind in _SECTION_LEVEL else (*section, component)
        return env.source_map.locate(path, key=True)
