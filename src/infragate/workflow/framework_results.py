"""What a compliance framework's judgement looks like (ICP-5.3): a verdict per requirement with its evidence.
Kept apart from the judging so the gates' evidence can carry results without importing the judge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

PASS, FAIL, MANUAL = "pass", "fail", "manual"
NOT_APPLICABLE, NOT_EVALUATED = "not applicable", "not evaluated"
VERDICTS = (PASS, FAIL, MANUAL, NOT_APPLICABLE, NOT_EVALUATED)
HOLDING = frozenset({PASS, NOT_APPLICABLE})  # a manual requirement holds once signed, which makes it a pass


@dataclass(frozen=True)
class RequirementResult:
    id: str
    title: str
    verdict: str
    evidence: tuple[str, ...]
    at: datetime | None  # when the newest evidence behind the verdict was made
    manual: bool = False


@dataclass(frozen=True)
class FrameworkResult:
    id: str
    title: str
    version: str
    results: tuple[RequirementResult, ...]

    @property
    def counts(self) -> dict[str, int]:
        return {verdict: sum(1 for r in self.results if r.verdict == verdict) for verdict in VERDICTS}

    @property
    def holds(self) -> bool:
        return all(r.verdict in HOLDING for r in self.results)

    def blocking(self) -> list[str]:
        """Requirements that keep the framework from holding: "id (verdict)"."""
        return [f"{r.id} ({r.verdict})" for r in self.results if r.verdict not in HOLDING]
