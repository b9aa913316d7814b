"""One findings model for every engine: OWASP category, CWE, severity, confidence, where (URL, parameter), the
evidence with secrets redacted, and the engine with its own rule id. The fingerprint is the engine-independent
identity of an issue, so the same issue found again (by the same or another engine) is the same finding."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from infragate.json_values import JsonObject
from infragate.scan.owasp import category, label

SEVERITIES = ("critical", "high", "medium", "low", "info")
CONFIDENCES = ("confirmed", "high", "medium", "low")
EVIDENCE_LIMIT = 600  # characters kept of a request/response excerpt

_SECRETS = (
    # header values that carry credentials
    (
        re.compile(
            r"(?im)^((?:authorization|proxy-authorization|cookie|set-cookie|x-api-key|x-detectify-key)\s*:\s*)(.+)$"
        ),
        r"\1[redacted]",
    ),
    # credentials inside URLs: scheme://user:password@host
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/\s@]+:)([^@\s/]+)(@)", re.I), r"\1[redacted]\3"),
    # name=value pairs whose name says secret (SECRET_KEY=, db_password:, "apiToken": …)
    (
        re.compile(
            r"(?i)(\b[\w-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|session)"
            r"[\w-]*[\"']?\s*[=:]\s*[\"']?)([^\s\"'&;,]+)"
        ),
        r"\1[redacted]",
    ),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), "[redacted AWS key id]"),
    (re.compile(r"(?i)\bbearer\s+[a-z0-9._~+/-]+=*"), "Bearer [redacted]"),
)


def redact(text: str) -> str:
    """The excerpt with credentials masked and its length bounded: evidence is stored and shown to people."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text if len(text) <= EVIDENCE_LIMIT else text[:EVIDENCE_LIMIT] + "…"


def normalised_location(url: str) -> str:
    """scheme://host[:port]/path?names: parameter values, fragments and case of the host do not make another
    issue (a reflected XSS in ?q= is one issue whatever payload found it)."""
    parts = urlsplit(url)
    names = sorted({name for name, _ in parse_qsl(parts.query, keep_blank_values=True)})
    netloc = (parts.hostname or "").lower() + (f":{parts.port}" if parts.port else "")
    return f"{parts.scheme.lower()}://{netloc}{parts.path or '/'}" + (f"?{'&'.join(names)}" if names else "")


@dataclass(frozen=True)
class ScanFinding:
    engine: str  # builtin, wapiti, detectify, zap
    rule: str  # the engine's own rule or module id
    title: str
    severity: str  # one of SEVERITIES
    confidence: str  # one of CONFIDENCES
    cwe: int | None
    url: str
    parameter: str = ""
    method: str = "GET"
    evidence: str = ""
    description: str = ""
    owasp: str = field(default="")  # A01…A10; derived from the CWE when not given

    def __post_init__(self) -> None:
        if not self.owasp:
            object.__setattr__(self, "owasp", category(self.cwe))
        object.__setattr__(self, "evidence", redact(self.evidence))
        if self.severity not in SEVERITIES:
            object.__setattr__(self, "severity", "info")
        if self.confidence not in CONFIDENCES:
            object.__setattr__(self, "confidence", "medium")

    @property
    def fingerprint(self) -> str:
        """The issue's identity: its kind (CWE, else the title), where it is, and through which parameter."""
        kind = f"cwe-{self.cwe}" if self.cwe else self.title.lower()
        where = normalised_location(self.url)
        return hashlib.sha256(f"scan|{kind}|{self.method.upper()}|{where}|{self.parameter}".encode()).hexdigest()

    @property
    def owasp_label(self) -> str:
        return label(self.owasp)

    def to_json(self) -> JsonObject:
        return {
            "fingerprint": self.fingerprint,
            "engine": self.engine,
            "rule": self.rule,
            "title": self.title,
            "severity": self.severity,
            "confidence": self.confidence,
            "cwe": self.cwe,
            "owasp": self.owasp,
            "owasp_label": self.owasp_label,
            "method": self.method,
            "url": self.url,
            "parameter": self.parameter,
            "evidence": self.evidence,
            "description": self.description,
        }


def deduplicated(findings: list[ScanFinding]) -> list[ScanFinding]:
    """One finding per fingerprint: the most severe, then the most confident, of those that agree."""
    best: dict[str, ScanFinding] = {}
    for finding in findings:
        seen = best.get(finding.fingerprint)
        if seen is None or _rank(finding) < _rank(seen):
            best[finding.fingerprint] = finding
    return sorted(best.values(), key=lambda f: (_rank(f), f.owasp, f.url, f.parameter))


def _rank(finding: ScanFinding) -> tuple[int, int]:
    return SEVERITIES.index(finding.severity), CONFIDENCES.index(finding.confidence)
