"""Which resources an inventory looks at: the whole account, or those tagged for one project/environment."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

PROJECT_TAG = "infragate:project"
ENVIRONMENT_TAG = "infragate:env"
COMPONENT_TAG = "infragate:component"


def tag_map(tags: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    """AWS's ``[{"Key": k, "Value": v}]`` tag lists as a plain mapping."""
    return {str(tag["Key"]): str(tag.get("Value", "")) for tag in tags or ()}


@dataclass(frozen=True)
class Scope:
    project: str | None = None
    environment: str | None = None

    def includes(self, tags: Mapping[str, str]) -> bool:
        if self.project is not None and tags.get(PROJECT_TAG) != self.project:
            return False
        return self.environment is None or tags.get(ENVIRONMENT_TAG) == self.environment

    @staticmethod
    def component_name(tags: Mapping[str, str], fallback: str) -> str:
        """The design name of a resource: its component tag, else its AWS name or id."""
        return tags.get(COMPONENT_TAG) or fallback
