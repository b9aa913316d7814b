"""The security-compliance stage (ICP-4): a recent, complete OWASP scan of every declared endpoint; Shield
Advanced over every public EC2 server; the requested pentest closed; no high or critical finding open. Its
job: the scan."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from infragate.model import Role
from infragate.workflow.checklist import ChecklistSpec
from infragate.workflow.gates import Criterion, Evidence, ItemState
from infragate.workflow.jobs_model import JobResult
from infragate.workflow.project import PROJECT_ROLES
from infragate.workflow.records import PentestImportSummary, RunKind, ScanSummary, VerifySummary
from infragate.workflow.stages import JobKind, JobRequest, Stage, StageSpec

if TYPE_CHECKING:
    from infragate.workflow.context import Caller, UnitOfWork


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


def owasp_scanned(e: Evidence, now: datetime | None = None) -> tuple[bool, str]:
    """ICP-4.1: a complete scan within the environment's max age that covered every declared endpoint, and no
    open high or critical scan finding. An environment with no endpoint has nothing a scan could judge."""
    if not e.endpoints:
        return False, "no endpoints declared: declare them (endpoints:) so they can be scanned"
    scan = e.runs.get(RunKind.SCAN)
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
    verify = e.runs.get(RunKind.VERIFY)
    if verify is None:
        return False, "never verified"
    if not isinstance(verify.summary, VerifySummary):
        return False, "the latest verify recorded no readable result: verify again"
    uncovered = verify.summary.shield.uncovered
    if not verify.summary.shield.subscribed:
        return False, "no Shield Advanced subscription"
    return not uncovered, "every public EC2 instance covered" if not uncovered else f"uncovered: {', '.join(uncovered)}"


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


def shield_item(spec: ChecklistSpec, evidence: Evidence) -> ItemState:
    met, detail = shield_covered(evidence)
    return ItemState(spec, met, detail)


def no_open_severe_item(spec: ChecklistSpec, evidence: Evidence) -> ItemState:
    severe = evidence.open_severe
    return ItemState(spec, not severe, "none open" if not severe else ", ".join(severe[:5]))


def scan_job(job: JobRequest, caller: Caller, uow: UnitOfWork) -> JobResult:
    from infragate.workflow.bus import handle
    from infragate.workflow.scanning import Scan, ScanOptions

    options = ScanOptions(profile=job.params.profile)
    scanned = handle(Scan(project=job.project, environment=job.environment, options=options), caller, uow)
    summary = scanned.summary
    uncovered = [f"{c.url} ({c.status}: {c.detail})" for c in scanned.report.coverage if c.status != "scanned"]
    uow.view.log(f"scan: {'complete' if summary.complete else 'incomplete'}, {summary.counts}")
    return JobResult(
        complete=summary.complete,
        uncovered=uncovered,
        counts=dict(summary.counts),
        new_severe=(summary.findings or {}).get("new_severe", 0),
    )


STAGE = StageSpec(
    Stage.SECURITY_COMPLIANCE.value,
    security_gate,
    summaries=(ScanSummary, PentestImportSummary),
    # a production scan is refused when it runs, unless security asked (or made its schedule)
    jobs=(JobKind("scan", scan_job, frozenset(PROJECT_ROLES), what="the OWASP scan"),),
    item_judges={"shield-covered": shield_item, "no-open-severe": no_open_severe_item},
)
