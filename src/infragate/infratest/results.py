"""The outcome of one check and of a whole test run, for people (a table), machines (JSON) and CI (JUnit XML)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from xml.etree import ElementTree

from infragate.json_values import Json, JsonObject


class Verdict(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_APPLICABLE = "not applicable"  # nothing to judge here (e.g. DNS on embedded AWS): never a pass
    ERROR = "error"  # the check could not run (unreachable, timed out): never a pass
    INFO = "information"  # reported, not judged (OCSP stapling, certificate transparency)


class Area(StrEnum):
    HTTP = "http"
    TLS = "tls"
    DNS = "dns"
    EXPOSURE = "exposure"
    CASES = "cases"


# Weaknesses of TLS and of the security headers are the design's security (ICP-1.1); the rest is ICP-3.2.
SECURITY_CHECKS = frozenset(
    {
        "hsts",
        "content-security-policy",
        "content-type-options",
        "frame-protection",
        "referrer-policy",
        "server-banner",
        "old-tls-refused",
        "modern-tls-accepted",
        "weak-ciphers",
        "certificate-trusted",
        "certificate-expiry",
    }
)


@dataclass(frozen=True)
class CheckResult:
    area: Area
    check: str  # what was checked, e.g. "security-headers"
    target: str  # the URL, address or record it was checked on
    verdict: Verdict
    detail: str
    duration_ms: float = 0.0
    info: Mapping[str, Json] = field(default_factory=dict)  # what was observed besides the verdict

    @property
    def clause(self) -> str:
        return "ICP-1.1" if self.check in SECURITY_CHECKS else "ICP-3.2"

    @property
    def id(self) -> str:
        return f"{self.area.value}:{self.check}:{self.target}"

    def to_json(self) -> JsonObject:
        return {
            "area": self.area.value,
            "check": self.check,
            "target": self.target,
            "verdict": self.verdict.value,
            "detail": self.detail,
            "clause": self.clause,
            "duration_ms": round(self.duration_ms, 1),
            "info": self.info,
        }


ORDER = {Verdict.FAILED: 0, Verdict.ERROR: 1, Verdict.PASSED: 2, Verdict.NOT_APPLICABLE: 3, Verdict.INFO: 4}


@dataclass(frozen=True)
class TestReport:
    """Every check of one run, and how long the run took."""

    __test__ = False  # not a pytest test class

    environment: str
    results: tuple[CheckResult, ...]
    duration_ms: float

    def count(self, verdict: Verdict) -> int:
        return sum(1 for result in self.results if result.verdict is verdict)

    @property
    def passed(self) -> bool:
        """Nothing failed or errored, and something was actually judged: N/A alone proves nothing."""
        return self.count(Verdict.FAILED) == 0 and self.count(Verdict.ERROR) == 0 and self.count(Verdict.PASSED) > 0

    def ordered(self) -> list[CheckResult]:
        """Grouped by area, failures first within each."""
        return sorted(self.results, key=lambda r: (list(Area).index(r.area), ORDER[r.verdict], r.check, r.target))

    def to_json(self) -> JsonObject:
        return {
            "environment": self.environment,
            "passed": self.passed,
            "counts": {verdict.value: self.count(verdict) for verdict in Verdict},
            "duration_ms": round(self.duration_ms, 1),
            "checks": [result.to_json() for result in self.ordered()],
        }

    def to_junit(self) -> str:
        """JUnit XML: one test suite per area, one test case per check; not applicable ones are skipped."""
        suites = ElementTree.Element("testsuites", name=f"infragate test {self.environment}")
        for area in Area:
            results = [r for r in self.ordered() if r.area is area]
            if not results:
                continue
            suite = ElementTree.SubElement(
                suites,
                "testsuite",
                name=area.value,
                tests=str(len(results)),
                failures=str(sum(r.verdict is Verdict.FAILED for r in results)),
                errors=str(sum(r.verdict is Verdict.ERROR for r in results)),
                skipped=str(sum(r.verdict in (Verdict.NOT_APPLICABLE, Verdict.INFO) for r in results)),
                time=f"{sum(r.duration_ms for r in results) / 1000:.3f}",
            )
            for result in results:
                case = ElementTree.SubElement(
                    suite,
                    "testcase",
                    classname=f"{area.value}.{result.check}",
                    name=result.target,
                    time=f"{result.duration_ms / 1000:.3f}",
                )
                if result.verdict is Verdict.FAILED:
                    ElementTree.SubElement(case, "failure", message=result.detail[:500], type=result.clause)
                elif result.verdict is Verdict.ERROR:
                    ElementTree.SubElement(case, "error", message=result.detail[:500])
                elif result.verdict in (Verdict.NOT_APPLICABLE, Verdict.INFO):
                    ElementTree.SubElement(case, "skipped", message=result.detail[:500])
        ElementTree.indent(suites)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suites, encoding="unicode") + "\n"
