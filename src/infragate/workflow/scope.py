"""A token's scope: the projects and roles it may use, applied wherever roles are decided."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    """What a request may touch: these projects (empty: all of the user's) with these roles (empty: all)."""

    projects: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()

    def allows(self, project: str) -> bool:
        return not self.projects or project in self.projects

    def limit(self, project: str, roles: set[str]) -> set[str]:
        if not self.allows(project):
            return set()
        return set(roles) if not self.roles else set(roles) & set(self.roles)
