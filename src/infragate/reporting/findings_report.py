"""The input every findings format renders: located findings plus what produced them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from infragate.policy import LocatedFinding, RuleSet, Summary


@dataclass(frozen=True)
class FindingsReport:
    command: str
    source: str
    digest: str | None
    rules: RuleSet
    findings: tuple[LocatedFinding, ...]
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def summary(self) -> Summary:
        return Summary.of(item.finding for item in self.findings)
