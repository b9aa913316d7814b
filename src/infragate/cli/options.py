"""Option types shared by several commands."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

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


# Options every findings-producing command shares (design validate, audit, later plan/verify).
FORMAT = typer.Option(
    FindingsFormat.TABLE,
    "--format",
    "-f",
    help="table for people; json, sarif (GitHub code scanning), junit (CircleCI) or csv for machines.",
)
FAIL_ON = typer.Option(
    FailOn.INFO, "--fail-on", help="Exit 1 when a failing or error finding is at least this severe ('none': never)."
)
OUTPUT: Path | None = typer.Option(None, "--output", "-o", help="Write the report here instead of stdout.")
SHOW_PASSED = typer.Option(False, "--show-passed", help="With --format table, list passing checks too.")

YES = typer.Option(
    False, "--yes", "-y", "--auto-approve", help="Do not ask for confirmation (--auto-approve is an alias)."
)
LOCK_TIMEOUT = typer.Option(
    "0s",
    "--lock-timeout",
    help="How long to wait when another writer holds the environment's lock, e.g. 30s, 10m (default: fail at once).",
)
_UNITS = {"s": 1, "m": 60, "h": 3600}


def duration(text: str, option: str = "--lock-timeout") -> float:
    """``30s``, ``10m``, ``1h`` or plain seconds, as seconds."""
    value = text.strip().lower()
    number, unit = (value[:-1], value[-1]) if value and value[-1] in _UNITS else (value, "s")
    try:
        seconds = float(number) * _UNITS[unit]
    except ValueError:
        raise UsageError(f"{option} is '{text}'", hint="Use a duration like 30s, 10m or 1h.") from None
    if seconds < 0:
        raise UsageError(f"{option} is '{text}'", hint="A duration cannot be negative.")
    return seconds
