"""What a CI/CD check found: one problem per broken expectation of ICP-3.1, with where it is."""

from __future__ import annotations

from dataclasses import dataclass

CLAUSE = "ICP-3.1"


@dataclass(frozen=True)
class CicdProblem:
    """A way the repository's pipeline or GitHub settings do not follow the defined workflow."""

    check: str  # CICD-0xx: the config; CICD-1xx: GitHub
    severity: str
    where: str  # the config's path and line, or the GitHub setting
    title: str
    detail: str
    fix: str

    @property
    def message(self) -> str:
        return f"{self.where}: {self.detail} Fix: {self.fix}"
