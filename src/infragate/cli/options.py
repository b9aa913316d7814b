"""Option types shared by several commands."""

from __future__ import annotations

from enum import StrEnum

from infragate.errors import UsageError
from infragate.policy import Severity


class FindingsFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    JUNIT = "junit"
    CSV = "csv"


class FailOn(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"
    NONE = "none"

    def threshold(self) -> Severity | None:
        return None if self is FailOn.NONE else Severity(self.value)


def require(condition: bool, message: str, hint: str) -> None:
    if not condition:
        raise UsageError(message, hint=hint)
