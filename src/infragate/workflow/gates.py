"""What gates are judged from and what they say: the ``Evidence`` snapshot of one environment, the latest run
of each kind (``RunFacts``), and each ``Criterion`` with its verdict. The criteria themselves are declared by
their stages (``workflow.stages``); they are pure functions of an ``Evidence`` snapshot.

Every criterion is met by evidence (a run, a webhook-recorded deployment, an engagement, a signature) or said
to be unmet with what is missing: nothing passes on missing evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from infragate.model import Role
from infragate.policy import Status
from infragate.workflow.checklist import ChecklistSpec
from infragate.workflow.framework_results import FrameworkResult
from infragate.workflow.records import AuditSummary, RunKind, RunSummary


@dataclass(frozen=True)
class RunFacts:
    """The latest run of a kind: its status (succeeded, failed, interrupted, running), when it started, and
    its typed summary (None when the stored one cannot be read as that kind's record)."""

    kind: str
    status: str
    at: datetime
    summary: RunSummary | None

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    @property
    def design_digest(self) -> str | None:
        return self.summary.design_digest if self.summary is not None else None


@dataclass(frozen=True)
class ItemState:
    spec: ChecklistSpec
    met: bool
    detail: str  # starts with "not applicable:" when there was nothing for the item to judge


@dataclass(frozen=True)
class Evidence:
    """Everything the gates look at for one environment, read from the store and the design."""

    environment: str
    production: bool
    design_digest: str
    design_failures: tuple[str, ...]  # unwaived failing design findings, "RULE component"
    unapproved_services: tuple[str, ...]  # components failing a rule of ICP-1.2 (services outside the list)
    design_approvers: tuple[str, ...]  # leads who approved this digest
    design_reviewers: tuple[str, ...]  # security people who reviewed this digest
    pentest_requested: bool
    pentest_state: str | None = None  # the latest engagement's state, if there is one
    pentest_closed_at: datetime | None = None
    pentest_unsettled: tuple[str, ...] = ()  # high/critical pentest findings not verified or accepted
    drillable: tuple[str, ...] = ()  # databases and versioned buckets a restore drill must cover
    runs: dict[str, RunFacts] = field(default_factory=dict)  # latest run per kind
    open_severe: tuple[str, ...] = ()  # open high/critical findings, "RULE component"
    open_severe_scan: tuple[str, ...] = ()  # those of them an OWASP scan found
    endpoints: tuple[str, ...] = ()  # the environment's declared endpoints (what a scan must cover)
    scan_max_age_days: int = 7
    open_rules: frozenset[str] = frozenset()  # rule ids with open audit findings
    checklist: tuple[ItemState, ...] = ()
    launched: bool = False
    frameworks: tuple[FrameworkResult, ...] = ()  # every known framework, judged here (ICP-5.3)
    chosen_frameworks: tuple[str, ...] = ()  # the ones the design chooses, the organisation's policy first


@dataclass(frozen=True)
class Criterion:
    stage: str
    clause: str
    text: str
    met: bool
    detail: str
    role: Role  # who is accountable, and who must act when it is unmet
    decided_by_person: bool = False  # met by an approval or a signature, not by a run

    @property
    def verdict(self) -> str:
        """met, unmet, or not applicable (met because there was nothing for it to judge)."""
        if not self.met:
            return "unmet"
        return "not applicable" if self.detail.startswith("not applicable") else "met"

    @property
    def needs_person(self) -> bool:
        """Unmet until someone decides or signs (as opposed to evidence infragate produces itself)."""
        return not self.met and self.decided_by_person


def latest_after_apply(e: Evidence, kind: str, never: str) -> tuple[RunFacts | None, str]:
    """The latest run of ``kind``, when there is one and it came after the latest apply (else why not): what
    was tested before the infrastructure last changed is not evidence about it."""
    run, apply = e.runs.get(kind), e.runs.get(RunKind.APPLY)
    if run is None:
        return None, never
    if apply is not None and run.at < apply.at:
        return None, f"{kind} run at {run.at:%Y-%m-%d %H:%M}, before the last apply: run it again"
    return run, ""


UNCLEAR = (Status.FAIL, Status.ERROR, Status.WAIVED)  # failing, unreadable or only accepted: never clear


def current_audit(e: Evidence) -> tuple[AuditSummary | None, str]:
    """The latest audit's per-rule results when they are evidence about what runs now (an audit after the last
    apply, with rule results), else why not."""
    audit, apply = e.runs.get(RunKind.AUDIT), e.runs.get(RunKind.APPLY)
    if audit is None:
        return None, "no audit of this environment yet"
    if apply is not None and audit.at < apply.at:
        return None, "the latest audit is older than the latest apply"
    if not isinstance(audit.summary, AuditSummary) or not audit.summary.rules:
        return None, "the latest audit recorded no rule results"
    return audit.summary, ""


def audited(summary: AuditSummary, rule: str, open_rules: frozenset[str]) -> str:
    """One rule in a current audit: "unclear" (failing, unreadable, only accepted, or a finding still open),
    "missing" (not evaluated), "pass", or "not applicable" (nothing to judge)."""
    counts = summary.rules.get(rule) or {}
    if rule in open_rules or any(counts.get(status.value) for status in UNCLEAR):
        return "unclear"
    if not counts:
        return "missing"
    return "pass" if counts.get(Status.PASS.value) else "not applicable"
