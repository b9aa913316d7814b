"""The pre-launch checklist: its template (data, the pre-launch stage's), the items other stages add, and a
project's extension of it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from infragate.errors import DesignValidationError
from infragate.model import Role

TEMPLATE = Path(__file__).resolve().parent / "checklist.yaml"
FRAMEWORKS = "frameworks"  # the item ICP-5.3 decides from the chosen compliance frameworks, judged last


class ChecklistSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    title: str = Field(min_length=3)
    area: str = Field(pattern=r"^(setup|security|backup|monitoring|compliance)$")
    clause: str = Field(pattern=r"^ICP-[0-9R.]+$")
    role: Role
    evidence: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9-]{1,40}$")  # a kind a stage judges
    rules: tuple[str, ...] = ()

    @property
    def automatic(self) -> bool:
        return self.evidence is not None or bool(self.rules)


def _load(path: Path) -> tuple[ChecklistSpec, ...]:
    """The checklist file's items, parsed once per version of the file (a server reads it on every page)."""
    try:
        found = path.stat()
    except OSError:
        found = None
    return _parsed(path, (found.st_mtime_ns, found.st_size) if found else (0, 0))


@lru_cache(maxsize=64)
def _parsed(path: Path, _stamp: tuple[int, int]) -> tuple[ChecklistSpec, ...]:
    try:
        raw = yaml.safe_load(path.read_text())
        if not isinstance(raw, list | None):
            raise TypeError("a checklist is a list of items")
        return tuple(ChecklistSpec.model_validate(item) for item in raw or [])
    except (OSError, yaml.YAMLError, ValidationError, TypeError) as exc:
        raise DesignValidationError(
            f"{path}: not a valid checklist ({' '.join(str(exc).split())[:300]})",
            hint="Each item needs key, title, area, clause and role; automatic items add evidence or rules.",
        ) from None


def template() -> tuple[ChecklistSpec, ...]:
    """The organisation's default checklist (``checklist.yaml`` in this package)."""
    return _load(TEMPLATE)


def checklist_for(design_path: str) -> list[ChecklistSpec]:
    """Every stage's items (the template first), extended (or overridden by key) by ``checklist.yaml`` beside
    the design file."""
    from infragate.workflow.stages import registry

    items = {spec.key: spec for spec in registry().checklist()}
    extension = Path(design_path).resolve().parent / "checklist.yaml"
    if extension.is_file():
        items |= {spec.key: spec for spec in _load(extension)}
    judged = {*registry().item_judges, FRAMEWORKS}
    unknown = sorted(
        {f"{spec.key}: {spec.evidence}" for spec in items.values() if spec.evidence not in (None, *judged)}
    )
    if unknown:
        raise DesignValidationError(
            f"{extension}: no stage judges the evidence of {', '.join(unknown)}",
            hint=f"An automatic item's evidence is one of: {', '.join(sorted(judged))} (or give rules: instead).",
        )
    return list(items.values())
