"""The provisioning stage (ICP-2): the design applied to AWS and verified live == design. Its evidence: plans,
applies, destroys, verifies and audits of the live account; its jobs: verify, audit, drift (both on one
read) and apply (a reviewed plan)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from infragate.model import Role
from infragate.workflow.checklist import ChecklistSpec
from infragate.workflow.gates import Criterion, Evidence, ItemState
from infragate.workflow.jobs_model import JobResult
from infragate.workflow.project import PROJECT_ROLES
from infragate.workflow.records import (
    AuditSummary,
    ChangesSummary,
    DestroySummary,
    PlanSummary,
    RunKind,
    VerifySummary,
)
from infragate.workflow.stages import JobKind, JobRequest, Stage, StageSpec

if TYPE_CHECKING:
    from infragate.workflow.context import Caller, UnitOfWork


def provisioning_gate(e: Evidence) -> list[Criterion]:
    apply, verify = e.runs.get(RunKind.APPLY), e.runs.get(RunKind.VERIFY)
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


def verify_clean(spec: ChecklistSpec, evidence: Evidence) -> ItemState:
    """The checklist's "the live setup matches the design": the latest verify, after the latest apply, clean."""
    verify, apply = evidence.runs.get(RunKind.VERIFY), evidence.runs.get(RunKind.APPLY)
    current = verify is not None and (apply is None or verify.at >= apply.at)
    met = current and verify is not None and verify.succeeded
    detail = (
        "the latest verify is clean" if met else ("no clean verify" if current else "not verified since the last apply")
    )
    return ItemState(spec, met, detail)


def verify_job(job: JobRequest, caller: Caller, uow: UnitOfWork) -> JobResult:
    from infragate.workflow.bus import handle
    from infragate.workflow.provisioning import Verify

    verified = handle(Verify(project=job.project, environment=job.environment), caller, uow)
    uow.view.log("live == design" if verified.aligned else "drift: " + ", ".join(verified.differs))
    return JobResult(aligned=verified.aligned, differs=list(verified.differs))


def audit_job(job: JobRequest, caller: Caller, uow: UnitOfWork) -> JobResult:
    from infragate.workflow.audits import Audit
    from infragate.workflow.bus import handle

    audited = handle(Audit(project=job.project, environment=job.environment), caller, uow)
    recorded = audited.recorded
    failing = recorded.failing if recorded is not None else 0
    new_severe = (recorded.findings or {}).get("new_severe", 0) if recorded is not None else 0
    uow.view.log(f"audit: {len(audited.findings)} findings, {failing} failing or unreadable")
    return JobResult(failing=failing, new_severe=new_severe)


def drift_job(job: JobRequest, caller: Caller, uow: UnitOfWork) -> JobResult:
    """A verify, then an audit of what the verify read (the unit of work keeps it)."""
    return verify_job(job, caller, uow).merged(audit_job(job, caller, uow))


def apply_job(job: JobRequest, caller: Caller, uow: UnitOfWork) -> JobResult:
    from infragate.workflow.bus import handle
    from infragate.workflow.provisioning import Apply

    applied = handle(
        Apply(
            project=job.project,
            environment=job.environment,
            plan=job.params.plan,
            plan_source=f"job {job.job_id}",
            parallelism=job.params.parallelism,
            lock_timeout_s=job.params.lock_timeout,
            purpose=f"job {job.job_id}",
        ),
        caller,
        uow,
    )
    return JobResult(outcomes=applied.counts, interrupted=applied.interrupted, succeeded=applied.succeeded)


READERS = frozenset(PROJECT_ROLES)
CHANGERS = frozenset({Role.LEAD, Role.INFRA})

STAGE = StageSpec(
    Stage.PROVISIONING.value,
    provisioning_gate,
    summaries=(PlanSummary, ChangesSummary, DestroySummary, VerifySummary, AuditSummary),
    jobs=(
        JobKind("verify", verify_job, READERS, idempotent=True, what="live == design?"),
        JobKind("audit", audit_job, READERS, idempotent=True, what="the live account against the rules"),
        JobKind("drift", drift_job, READERS, idempotent=True, what="verify, then audit"),
        JobKind("apply", apply_job, CHANGERS, what="apply a reviewed plan"),
    ),
    item_judges={"verify-clean": verify_clean},
)
