"""Compliance frameworks as data (ICP-5.3): each framework a YAML file in this folder, mapping its requirements
to the infragate rules, gate criteria (by clause) and pre-launch checklist items that evidence them. A
requirement nothing here can judge is ``manual``: security signs it.

Descriptions are our own words, short enough to say what is checked; they never copy a framework's text.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from infragate.design import Design
from infragate.errors import DesignValidationError, UsageError

FOLDER = Path(__file__).resolve().parent


class Requirement(BaseModel):
    """One requirement and what evidences it: rules (judged on the live account after the last apply, or on
    the design for rules that judge only designs), gate criteria of clauses, checklist items; or manual."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=32)
    title: str = Field(min_length=3, max_length=200)
    rules: tuple[str, ...] = ()
    criteria: tuple[str, ...] = ()  # ICP clause ids: every gate criterion of that clause must be met
    checklist: tuple[str, ...] = ()  # pre-launch checklist item keys
    manual: bool = False

    @property
    def automated(self) -> bool:
        return bool(self.rules or self.criteria or self.checklist)

    @model_validator(mode="after")
    def _automated_or_manual(self) -> Requirement:
        if self.manual == self.automated:
            raise ValueError(
                f"requirement {self.id} must be either automated (rules, criteria, checklist) or manual, not "
                + ("both" if self.manual else "neither")
            )
        return self


class Framework(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,31}$")
    title: str = Field(min_length=3)
    version: str = Field(min_length=1)
    source: str = Field(min_length=8, description="Where the framework's own requirement list is published.")
    scope: str = Field(min_length=3, description="Which of its parts this mapping covers, and why.")
    requirements: tuple[Requirement, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Framework:
        seen: set[str] = set()
        for requirement in self.requirements:
            if requirement.id in seen:
                raise ValueError(f"requirement id {requirement.id} appears twice")
            seen.add(requirement.id)
        return self


@lru_cache(maxsize=1)
def catalog() -> dict[str, Framework]:
    """Every shipped framework, by id (read once)."""
    found: dict[str, Framework] = {}
    for path in sorted(FOLDER.glob("*.yaml")):
        framework = _load(path)
        if framework.id != path.stem:
            raise DesignValidationError(f"{path}: id {framework.id} differs from the file's name")
        found[framework.id] = framework
    return found


def _load(path: Path) -> Framework:
    try:
        return Framework.model_validate(yaml.safe_load(path.read_text()))
    except (OSError, yaml.YAMLError, ValidationError) as problem:
        raise DesignValidationError(
            f"{path}: not a valid framework ({' '.join(str(problem).split())[:300]})",
            hint="Each framework needs id, title, version, source, scope and requirements.",
        ) from None


def framework(framework_id: str) -> Framework:
    """One framework by id, or a usage error listing the ones there are."""
    known = catalog()
    if framework_id not in known:
        raise UsageError(f"there is no framework '{framework_id}'", hint=f"Use one of: {', '.join(known)}.")
    return known[framework_id]


ALWAYS = "icp"  # the organisation's own policy: judged whatever the design chooses


def chosen(design: Design) -> list[Framework]:
    """The frameworks a design chooses (its ``compliance:`` list), the organisation's own policy first. A name
    infragate does not know is a design error, located at its line (exit 2)."""
    known = catalog()
    for index, name in enumerate(design.compliance):
        if name not in known:
            where = design.source_map.locate(("compliance", index))
            at = f"{where.file}:{where.line}" if where else design.path
            raise DesignValidationError(
                f"{at}: compliance: '{name}' is not a framework infragate knows",
                hint=f"Use some of: {', '.join(f for f in known if f != ALWAYS)} (`infragate compliance frameworks`).",
            )
    return [known[ALWAYS], *(known[name] for name in dict.fromkeys(design.compliance) if name != ALWAYS)]
