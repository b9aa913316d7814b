"""The input every findings format renders: located findings plus what produced them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from infragate.model import SERVICE_OF, ComponentKind
from infragate.policy import Finding, LocatedFinding, RuleSet, Summary


@dataclass(frozen=True)
class FindingsReport:
    command: str
    source: str
    digest: str | None
    rules: RuleSet
    findings: tuple[LocatedFinding, ...]
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    artifact: str | None = None  # the file findings point into (the design), when there is one

    @property
    def summary(self) -> Summary:
        return Summary.of(item.finding for item in self.findings)


def service_of(finding: Finding) -> str:
    """The AWS service a finding is about; inventory findings name their collector, the rest 'account'."""
    if finding.kind is ComponentKind.SERVICE and finding.rule_id.startswith("INV-"):
        return finding.component.split()[0]
    return SERVICE_OF.get(finding.kind, "account")
