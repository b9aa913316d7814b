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

    @property
    def by_project(self) -> bool:
        return self.project is not None

    def component_name(self, tags: Mapping[str, str], fallback: str) -> str:
        """The name a resource is reported under.

        Within a project its ``infragate:component`` tag (the design's name for it); across a whole account
        its AWS name or id, because two projects may both have a component called ``web``.
        """
        if self.by_project:
            return tags.get(COMPONENT_TAG) or fallback
        return fallback

    @property
    def prefix(self) -> str:
        """What infragate puts before AWS names it chooses (``webshop-production-…``), or "" for the account."""
        if self.project is None:
            return ""
        return f"{self.project}-{self.environment}-" if self.environment else f"{self.project}-"

    def alarm_component(self, alarm_name: str) -> str:
        """The design name of an alarm infragate created: ``<prefix><alarm>`` or ``<prefix><alarm>/<instance>``.

        One design alarm on an instance group is one CloudWatch alarm per instance; they fold back into one.
        """
        if not self.prefix or not alarm_name.startswith(self.prefix):
            return alarm_name
        return alarm_name.removeprefix(self.prefix).split("/", 1)[0]

    def describe(self) -> str:
        if not self.by_project:
            return "the whole account"
        return f"project {self.project}" + (f", environment {self.environment}" if self.environment else "")
