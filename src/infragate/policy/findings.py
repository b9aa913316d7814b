"""What rules produce: severities, statuses and findings."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from infragate.errors import SourceLocation
from infragate.model import Waiver
from infragate.model.base import ComponentKind


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, threshold: Severity) -> bool:
        return self.rank >= threshold.rank


_RANK = {Severity.INFO: 0, Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"  # the rule crashed or its data could not be read: never counted as a pass
    WAIVED = "waived"  # failed, but an unexpired waiver covers it
    NOT_APPLICABLE = "not applicable"  # the rule had nothing to judge here: neither a pass nor a failure


@dataclass(frozen=True)
class Finding:
    rule_id: str
    title: str
    severity: Severity
    clause: str
    environment: str
    component: str
    kind: ComponentKind
    status: Status
    message: str
    waiver: Waiver | None = None

    @property
    def failing(self) -> bool:
        return self.status in (Status.FAIL, Status.ERROR)


@dataclass(frozen=True)
class LocatedFinding:
    """A finding plus where it points: the place in the design file, or the live AWS resource."""

    finding: Finding
    location: SourceLocation | None = None
    resource: str | None = None  # AWS id or ARN, for findings on a live account

    @property
    def fingerprint(self) -> str:
        """Stable identity across runs: the same rule on the same component in the same environment."""
        f = self.finding
        key = f"{f.rule_id}|{f.environment}|{f.kind}|{f.component}"
        return hashlib.sha256(key.encode()).hexdigest()[:32]
