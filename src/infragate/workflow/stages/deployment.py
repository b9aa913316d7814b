"""The deployment-testing stage (ICP-3): a deployment through the defined pipeline, reported by a signed
webhook; the infrastructure tested; the stress test meeting its SLOs. Its jobs: test and stress."""

from __future__ import annotations

from typing import TYPE_CHECKING

from infragate.model import Role
from infragate.workflow.gates import Criterion, Evidence, latest_after_apply
from infragate.workflow.jobs_model import JobResult
from infragate.workflow.project import PROJECT_ROLES
from infragate.workflow.records import CicdSummary, DeploySummary, RunKind, StressSummary, TestSummary
from infragate.workflow.stages import JobKind, JobRequest, Stage, StageSpec

if TYPE_CHECKING:
    from infragate.workflow.context import Caller, UnitOfWork


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


def deployed(e: Evidence) -> tuple[bool, str]:
    """ICP-3.1 from the latest deployment record: a verified webhook reported it after the latest apply, it
    succeeded, and the commit's pipeline was seen to pass every stage the policy puts before that deploy."""
    never = f"no deployment recorded: deploy {e.environment} through the pipeline (`infragate cicd init` writes it)"
    run, problem = latest_after_apply(e, RunKind.DEPLOY, never)
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


def infrastructure_tested(e: Evidence) -> tuple[bool, str]:
    """ICP-3.2 from the latest test run: it must come after the latest apply and have passed; checks that were
    not applicable are named, never counted."""
    test, problem = latest_after_apply(e, RunKind.TEST, f"never tested: infragate test --env {e.environment}")
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
    stress, problem = latest_after_apply(e, RunKind.STRESS, never)
    if stress is None:
        return False, problem
    summary = stress.summary
    if not isinstance(summary, StressSummary):
        return False, "the latest stress run recorded no readable result: run it again"
    if summary.interrupted:
        return False, "the latest stress run was interrupted: a partial run is not evidence"
    if summary.not_evaluated:
        return False, f"not evaluated: the latest stress run measured nothing ({summary.not_evaluated}): run it again"
    missed = [f"{name} {v.measured} (target {v.target:g})" for name, v in summary.verdicts.items() if not v.passed]
    if not summary.verdicts or missed:
        return False, "missed: " + ("; ".join(missed) or "no verdict")
    p95_slo, load = summary.verdicts.get("p95"), summary.verdicts.get("load")
    p95 = p95_slo.measured or 0.0 if p95_slo is not None else 0.0
    held = f"{load.measured:g} requests/s held" if load is not None and load.measured is not None else "held"
    return True, (
        f"at {stress.at:%Y-%m-%d %H:%M}: {held} (target {summary.peak_rps:g}), p95 {p95:.1f} ms, every SLO met"
    )


def tests_job(job: JobRequest, caller: Caller, uow: UnitOfWork) -> JobResult:
    from infragate.workflow.bus import handle
    from infragate.workflow.infra_testing import InfraTest

    tested = handle(InfraTest(project=job.project, environment=job.environment), caller, uow)
    failing = len(tested.summary.failing) + tested.summary.counts.get("error", 0)
    uow.view.log(f"test: {tested.checks} checks, {failing} failing or not run")
    return JobResult(passed=tested.summary.passed, failing=failing, checks=tested.checks)


def stress_job(job: JobRequest, caller: Caller, uow: UnitOfWork) -> JobResult:
    from infragate.workflow.bus import handle
    from infragate.workflow.stress_testing import StressOptions, StressTest

    uow.view.log("stress test: Locust master and workers on this worker's machine")
    stressed = handle(
        StressTest(
            project=job.project, environment=job.environment, options=StressOptions(workers=max(job.params.workers, 1))
        ),
        caller,
        uow,
    )
    missed = [name for name, slo in stressed.summary.verdicts.items() if not slo.passed]
    if stressed.summary.not_evaluated:
        missed = []
        uow.view.log(f"stress: not evaluated, it measured nothing: {stressed.summary.not_evaluated}")
    else:
        uow.view.log("stress: every SLO met" if stressed.summary.passed else f"stress: missed {', '.join(missed)}")
    return JobResult(passed=stressed.summary.passed, missed=missed, requests=stressed.summary.requests)


STAGE = StageSpec(
    Stage.DEPLOYMENT_TESTING.value,
    deployment_gate,
    summaries=(DeploySummary, CicdSummary, TestSummary, StressSummary),
    jobs=(
        JobKind("test", tests_job, frozenset(PROJECT_ROLES), idempotent=True, what="the infrastructure tests"),
        # load is the developers' and the infrastructure team's call, never repeated on its own
        JobKind("stress", stress_job, frozenset({Role.LEAD, Role.INFRA, Role.DEVELOPER}), what="the stress test"),
    ),
)
