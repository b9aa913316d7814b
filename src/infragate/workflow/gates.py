"""Gates: each stage's exit criteria, judged from evidence. Pure functions of an ``Evidence`` snapshot.

Every criterion is met by evidence (a run, a webhook-recorded deployment, an engagement, a signature) or said
to be unmet with what is missing: nothing passes on missing evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from infragate.model import Role
from infragate.policy import Status
from infragate.workflow.checklist import ChecklistSpec
from infragate.workflow.framework_results import FrameworkResult
from infragate.workflow.records import (
    AuditSummary,
    DeploySummary,
    RunKind,
    RunSummary,
    ScanSummary,
    StressSummary,
    TestSummary,
    VerifySummary,
)
from infragate.workflow.stages import Stage


@dataclass(frozen=True)
class RunFacts:
    """The latest run of a kind: its status (succeeded, failed, interrupted, running), when it started, and
    its typed summary (None when the stored one cannot be read as that kind's record)."""

    kind: RunKind
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
    runs: dict[RunKind, RunFacts] = field(default_factory=dict)  # latest run per kind
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
    stage: Stage
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


def _run(evidence: Evidence, kind: RunKind) -> RunFacts | None:
    return evidence.runs.get(kind)


def design_gate(e: Evidence) -> list[Criterion]:
    clean = not e.design_failures
    docs = _run(e, RunKind.DOCS)
    documented = docs is not None and docs.design_digest == e.design_digest
    criteria = [
        Criterion(
            Stage.DESIGN,
            "ICP-1.1",
            "the design passes every policy rule (or the failure is waived)",
            clean,
            "clean" if clean else f"{len(e.design_failures)} failing: {', '.join(e.design_failures[:5])}",
            Role.LEAD,
        ),
        Criterion(
            Stage.DESIGN,
            "ICP-1.2",
            "only approved AWS services, or an approver named for each other one",
            not e.unapproved_services,
            "approved services only"
            if not e.unapproved_services
            else f"not approved: {', '.join(e.unapproved_services)}",
            Role.LEAD,
        ),
        Criterion(
            Stage.DESIGN,
            "ICP-1.3",
            "documented: design docs generated from this exact digest",
            documented,
            f"generated {docs.at:%Y-%m-%d %H:%M}"
            if documented and docs
            else "no docs for this digest (`infragate design docs`)",
            Role.LEAD,
        ),
        Criterion(
            Stage.DESIGN,
            "ICP-1.4",
            "approved by a lead (this exact design digest)",
            bool(e.design_approvers),
            f"by {', '.join(e.design_approvers)}"
            if e.design_approvers
            else f"no lead approved {e.design_digest[:19]}…",
            Role.LEAD,
            decided_by_person=True,
        ),
    ]
    if e.production:
        criteria.append(
            Criterion(
                Stage.DESIGN,
                "ICP-1.4",
                "reviewed by security (this exact design digest)",
                bool(e.design_reviewers),
                f"by {', '.join(e.design_reviewers)}" if e.design_reviewers else "no security review of this digest",
                Role.SECURITY,
                decided_by_person=True,
            )
        )
    return criteria


def provisioning_gate(e: Evidence) -> list[Criterion]:
    apply, verify = _run(e, RunKind.APPLY), _run(e, RunKind.VERIFY)
    applied = apply is not None and apply.succeeded
    verified = verify is not None and verify.succeeded and (apply is None or verify.at >= apply.at)
    return [
        Criterion(
            Stage.PROVISIONING,
            "ICP-2.1",
            "the last apply succeeded",
            applied,
            f"at {apply.at:%Y-%m-%d %H:%M}" if applied and apply else (apply.status if apply else "never applied"),
            Role.LEAD,
        ),
        Criterion(
            Stage.PROVISIONING,
            "ICP-2.3",
            "the last verify (after the last apply) found live == design",
            verified,
            f"at {verify.at:%Y-%m-%d %H:%M}"
            if verified and verify
            else ("not aligned" if verify else "never verified"),
            Role.LEAD,
        ),
    ]


def deployment_gate(e: Evidence) -> list[Criterion]:
    return [
        Criterion(
            Stage.DEPLOYMENT_TESTING,
            "ICP-3.1",
            "the last deployment (after the last apply), reported by a signed webhook, succeeded through the "
            "policy's pipeline",
            *deployed(e),
            Role.DEVELOPER,
        ),
        Criterion(
            Stage.DEPLOYMENT_TESTING,
            "ICP-3.2",
            "the last infrastructure test run (after the last apply) passed",
            *infrastructure_tested(e),
            Role.DEVELOPER,
        ),
        Criterion(
            Stage.DEPLOYMENT_TESTING,
            "ICP-3.3",
            "the last stress test (after the last apply) met every SLO at the peak load",
            *stress_tested(e),
            Role.DEVELOPER,
        ),
    ]


def _latest_after_apply(e: Evidence, kind: RunKind, never: str) -> tuple[RunFacts | None, str]:
    """The latest run of ``kind``, when there is one and it came after the latest apply (else why not): what
    was tested before the infrastructure last changed is not evidence about it."""
    run, apply = _run(e, kind), _run(e, RunKind.APPLY)
    if run is None:
        return None, never
    if apply is not None and run.at < apply.at:
        return None, f"{kind.value} run at {run.at:%Y-%m-%d %H:%M}, before the last apply: run it again"
    return run, ""


UNCLEAR = (Status.FAIL, Status.ERROR, Status.WAIVED)  # failing, unreadable or only accepted: never clear


def current_audit(e: Evidence) -> tuple[AuditSummary | None, str]:
    """The latest audit's per-rule results when they are evidence about what runs now (an audit after the last
    apply, with rule results), else why not."""
    audit, apply = _run(e, RunKind.AUDIT), _run(e, RunKind.APPLY)
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


def deployed(e: Evidence) -> tuple[bool, str]:
    """ICP-3.1 from the latest deployment record: a verified webhook reported it after the latest apply, it
    succeeded, and the commit's pipeline was seen to pass every stage the policy puts before that deploy."""
    never = f"no deployment recorded: deploy {e.environment} through the pipeline (`infragate cicd init` writes it)"
    run, problem = _latest_after_apply(e, RunKind.DEPLOY, never)
    if run is None:
        return False, problem
    summary = run.summary
    if not isinstance(summary, DeploySummary):
        return False, "the latest deployment record is unreadable: deploy again"
    commit = f"{summary.sha[:12]} ({summary.source}, {run.at:%Y-%m-%d %H:%M})"
    if not summary.deployed:
        return False, f"the latest deployment, of {commit}, ended {summary.state}"
    if summary.stages_missing:
        return False, (
            f"{commit} deployed, but its pipeline was not seen to pass {', '.join(summary.stages_missing)} "
            f"(seen by {summary.stages_seen_by or 'nothing'})"
        )
    by = f" by {summary.actor}" if summary.actor else ""
    return True, f"{commit}{by}, after {', '.join(summary.stages_ran)}"


def pentested(e: Evidence) -> tuple[bool, str]:
    """ICP-4.3 from the environment's latest pentest engagement: none requested is not applicable; one that is
    open, or closed with a severe finding unsettled, is unmet."""
    if e.pentest_state is None:
        if e.pentest_requested:
            return (
                False,
                f"requested in the design, but no engagement exists: infragate pentest request --env {e.environment}",
            )
        return True, "not applicable: no pentest was requested"
    if e.pentest_state != "closed":
        return False, f"the pentest engagement is {e.pentest_state}: infragate pentest status --env {e.environment}"
    if e.pentest_unsettled:
        more = "…" if len(e.pentest_unsettled) > 3 else ""
        return False, f"closed, but high/critical pentest findings are open: {', '.join(e.pentest_unsettled[:3])}{more}"
    when = f" on {e.pentest_closed_at:%Y-%m-%d}" if e.pentest_closed_at else ""
    return True, f"the engagement was closed{when} after the retest"


def infrastructure_tested(e: Evidence) -> tuple[bool, str]:
    """ICP-3.2 from the latest test run: it must come after the latest apply and have passed; checks that were
    not applicable are named, never counted."""
    test, problem = _latest_after_apply(e, RunKind.TEST, f"never tested: infragate test --env {e.environment}")
    if test is None:
        return False, problem
    summary = test.summary
    if not isinstance(summary, TestSummary):
        return False, "the latest test run recorded no readable result: test again"
    if not summary.passed:
        if summary.failing:
            more = "…" if len(summary.failing) > 3 else ""
            return False, f"{len(summary.failing)} failing: {', '.join(summary.failing[:3])}{more}"
        if summary.counts.get("error", 0):
            return False, f"{summary.counts['error']} check(s) could not run: test again when the endpoints answer"
        return False, "nothing was judged: every check was not applicable"
    skipped = f"; not applicable: {len(summary.not_applicable)}" if summary.not_applicable else ""
    return True, f"at {test.at:%Y-%m-%d %H:%M}: {summary.counts.get('passed', 0)} checks passed{skipped}"


def stress_tested(e: Evidence) -> tuple[bool, str]:
    """ICP-3.3 from the latest stress run: after the latest apply, not interrupted, every SLO verdict passed."""
    never = f"never stress-tested: infragate stress --env {e.environment}"
    stress, problem = _latest_after_apply(e, RunKind.STRESS, never)
    if stress is None:
        return False, problem
    summary = stress.summary
    if not isinstance(summary, StressSummary):
        return False, "the latest stress run recorded no readable result: run it again"
    if summary.interrupted:
        return False, "the latest stress run was interrupted: a partial run is not evidence"
    missed = [
        f"{name} {v.get('measured')} (target {v.get('target')})"
        for name, v in summary.verdicts.items()
        if not v.get("passed")
    ]
    if not summary.verdicts or missed:
        return False, "missed: " + ("; ".join(missed) or "no verdict")
    p95 = float(summary.verdicts.get("p95", {}).get("measured") or 0)
    return True, f"at {stress.at:%Y-%m-%d %H:%M}: {summary.peak_rps:g} requests/s held, p95 {p95:.1f} ms, every SLO met"


def owasp_scanned(e: Evidence, now: datetime | None = None) -> tuple[bool, str]:
    """ICP-4.1: a complete scan within the environment's max age that covered every declared endpoint, and no
    open high or critical scan finding. An environment with no endpoint has nothing a scan could judge."""
    if not e.endpoints:
        return False, "no endpoints declared: declare them (endpoints:) so they can be scanned"
    scan = _run(e, RunKind.SCAN)
    if scan is None:
        return False, f"never scanned: infragate scan --env {e.environment}"
    summary = scan.summary
    if not isinstance(summary, ScanSummary):
        return False, "the latest scan recorded no readable result: scan again"
    age = (now or datetime.now(UTC)) - scan.at
    if age.days >= e.scan_max_age_days:
        return False, f"the latest scan is from {scan.at:%Y-%m-%d}, older than {e.scan_max_age_days} days: scan again"
    if not summary.complete:
        return False, "the latest scan was incomplete (an endpoint failed or a limit stopped it): not evidence"
    missed = [url for url in e.endpoints if url not in summary.covered]
    if missed:
        return False, f"the latest scan did not cover {', '.join(missed[:3])}"
    if e.open_severe_scan:
        return False, f"open: {', '.join(e.open_severe_scan[:5])}"
    return (
        True,
        f"at {scan.at:%Y-%m-%d %H:%M} ({summary.engine}): {len(summary.covered)} endpoint(s) covered, "
        "no open high/critical finding",
    )


def shield_covered(e: Evidence) -> tuple[bool, str]:
    verify = _run(e, RunKind.VERIFY)
    if verify is None:
        return False, "never verified"
    if not isinstance(verify.summary, VerifySummary):
        return False, "the latest verify recorded no readable result: verify again"
    uncovered = verify.summary.shield.uncovered
    if not verify.summary.shield.subscribed:
        return False, "no Shield Advanced subscription"
    return not uncovered, "every public EC2 instance covered" if not uncovered else f"uncovered: {', '.join(uncovered)}"


def security_gate(e: Evidence) -> list[Criterion]:
    covered, detail = shield_covered(e)
    scanned, scan_detail = owasp_scanned(e)
    pentest = Criterion(
        Stage.SECURITY_COMPLIANCE,
        "ICP-4.3",
        "no pentest requested, or the requested one closed with no open high/critical finding",
        *pentested(e),
        Role.SECURITY,
    )
    return [
        Criterion(
            Stage.SECURITY_COMPLIANCE,
            "ICP-4.1",
            "a recent OWASP scan with no open high/critical finding",
            scanned,
            scan_detail,
            Role.SECURITY,
        ),
        Criterion(
            Stage.SECURITY_COMPLIANCE, "ICP-4.2", "Shield Advanced covers every EC2 server", covered, detail, Role.LEAD
        ),
        pentest,
        Criterion(
            Stage.SECURITY_COMPLIANCE,
            "ICP-4.4",
            "no high or critical finding is open",
            not e.open_severe,
            "none open" if not e.open_severe else f"open: {', '.join(e.open_severe[:5])}",
            Role.SECURITY,
        ),
    ]


def pre_launch_gate(e: Evidence) -> list[Criterion]:
    return [
        Criterion(
            Stage.PRE_LAUNCH,
            item.spec.clause,
            f"checklist: {item.spec.title}",
            item.met,
            item.detail,
            item.spec.role,
            decided_by_person=not item.spec.automatic,
        )
        for item in e.checklist
    ]


GATES = {
    Stage.DESIGN: design_gate,
    Stage.PROVISIONING: provisioning_gate,
    Stage.DEPLOYMENT_TESTING: deployment_gate,
    Stage.SECURITY_COMPLIANCE: security_gate,
    Stage.PRE_LAUNCH: pre_launch_gate,
}


def evaluate(evidence: Evidence) -> dict[Stage, list[Criterion]]:
    return {stage: gate(evidence) for stage, gate in GATES.items()}


def current_stage(results: dict[Stage, list[Criterion]], launched: bool) -> Stage:
    """The first stage whose gate does not hold (stages are passed in order), or launched."""
    if launched:
        return Stage.LAUNCHED
    for stage, criteria in results.items():
        if not all(c.met for c in criteria):
            return stage
    return Stage.PRE_LAUNCH  # every gate holds: ready to launch, which a lead still does explicitly
