"""The compliance report (ICP-6.1) and a framework's report (ICP-5.3) as typed data: what the application
layer judges, what the API answers as JSON, and what the HTML, PDF and CSV renderers draw."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, JsonValue


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True)


class FrameworkLine(_Data):
    id: str
    title: str
    version: str
    holds: bool
    counts: dict[str, int]
    blocking: list[str]


class ReportSummary(_Data):
    clauses: dict[str, int]  # met, unmet, waived
    open_findings: dict[str, int]  # by severity
    may_launch: bool


class ClauseLine(_Data):
    id: str
    stage: str
    text: str
    status: str  # met, unmet, waived
    accountable: str
    evidence: list[str]


class NonCompliance(_Data):
    clause: str
    text: str
    missing: list[str]
    accountable: str


class OpenFinding(_Data):
    id: int
    severity: str
    rule: str
    component: str
    status: str
    due: str | None
    message: str


class ApprovalLine(_Data):
    subject: str
    digest: str
    by: str
    role: str
    at: str
    comment: str


class RunLine(_Data):
    kind: str
    status: str
    at: str
    summary: dict[str, JsonValue]
    artifact: str | None


class ChecklistLine(_Data):
    key: str
    title: str
    role: str
    met: bool
    detail: str


class ComplianceReport(_Data):
    """Every policy clause of one environment met, unmet or waived, with its evidence; open findings by
    severity; and the non-compliance list with who is accountable."""

    project: str
    client: str
    environment: str
    generated_at: str
    design_digest: str
    frameworks: list[FrameworkLine]
    stage: str
    attestation: str
    summary: ReportSummary
    clauses: list[ClauseLine]
    non_compliance: list[NonCompliance]
    audit_checkpoint: dict[str, JsonValue] | None  # the signed head of the audit log when this was made
    open_findings: list[OpenFinding]
    approvals: list[ApprovalLine]
    runs: list[RunLine]
    checklist: list[ChecklistLine]


class FrameworkSpec(_Data):
    id: str
    title: str
    version: str
    source: str
    scope: str


class RequirementLine(_Data):
    id: str
    title: str
    verdict: str  # pass, fail, manual, not applicable, not evaluated
    manual: bool
    evidence: list[str]
    at: str | None


class FrameworkReport(_Data):
    """One compliance framework judged for an environment: each requirement's verdict and its evidence."""

    project: str
    client: str
    environment: str
    generated_at: str
    design_digest: str
    attestation: str
    chosen: bool
    framework: FrameworkSpec
    holds: bool
    counts: dict[str, int]
    requirements: list[RequirementLine]
