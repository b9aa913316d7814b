"""Running one job: the use-cases the CLI runs, for a job record, with a heartbeat, progress events, log
lines, cooperative cancellation, and a result. Used by workers and by ``--here`` alike, so a job runs the
same way in-process and through a queue."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from infragate.design import load_design
from infragate.errors import InfragateError, RefusedError, UsageError
from infragate.inventory import Snapshot
from infragate.jobs.notify import notify
from infragate.jobs.schedules import SCHEDULER
from infragate.model import Role
from infragate.policy import check_live
from infragate.provision.executor import Outcome
from infragate.provision.executor import Status as ChangeStatus
from infragate.provision.plan import Change, Plan
from infragate.settings import Settings
from infragate.store import Store, open_store
from infragate.store import jobs as job_store
from infragate.store.jobs import JobView
from infragate.store.schema import Project, Run
from infragate.workflow.projects import registered_design
from infragate.workflow.provisioning import Provisioning
from infragate.workflow.service import Workflow

KINDS = ("verify", "audit", "drift", "apply", "test", "stress", "scan", "drill")
IDEMPOTENT = frozenset(
    {"verify", "audit", "drift", "test"}
)  # a stress run is load: never repeated on its own  # safe to run again when a worker died under them


class JobProgress:
    """Progress of the reads and changes, as job events (what `jobs logs` shows)."""

    def __init__(self, store: Store, job_id: int) -> None:
        self.store, self.job_id = store, job_id

    def log(self, message: str) -> None:
        job_store.event(self.store, self.job_id, "log", message)

    # inventory progress
    def started(self, labels: Sequence[str] | Change) -> None:
        if isinstance(labels, Change):
            return
        job_store.event(self.store, self.job_id, "progress", f"reading {', '.join(labels)}")

    def finished(self, label: str | Outcome, succeeded: bool = True) -> None:
        if isinstance(label, Outcome):
            job_store.event(self.store, self.job_id, "progress", f"{label.change.key}: {label.status.value}")
        elif not succeeded:
            job_store.event(self.store, self.job_id, "progress", f"{label}: could not be read")


def _flow(store: Store, job: JobView) -> Workflow:
    """The workflow as whom the job runs: who asked for it, or for a schedule a person made, that person (so a
    scheduled production scan is security's, and stops being anyone's when they no longer hold the role)."""
    path = registered_design(store, job.project)
    if path is None:
        raise UsageError(f"project {job.project} is not registered", hint="`infragate project init -d FILE`.")
    actor = job.requested_by
    if job.schedule_id is not None:
        made = job_store.schedule(store, job.schedule_id)
        if made is not None and made.created_by:
            actor = made.created_by
    design = load_design(path)
    if job.kind == "scan" and actor == SCHEDULER and design.environment(job.environment).settings.is_production:
        raise RefusedError(
            f"a scheduled scan of {job.project}/{job.environment} (production) runs only from a schedule that "
            "security made",
            hint=f"As security: infragate jobs schedule --env {job.environment} --name weekly-scan --kind scan "
            "--cron '0 2 * * 1'",
        )
    return Workflow(store, design, actor)


def _dispatch(store: Store, settings: Settings, job: JobView, cancelled: Callable[[], bool]) -> dict[str, Any]:
    flow = _flow(store, job)
    progress = JobProgress(store, job.id)
    provisioning = Provisioning(flow, settings, job.environment)
    result: dict[str, Any] = {}
    snapshot: Snapshot | None = None
    if job.kind in ("verify", "drift"):
        snapshot = provisioning.read(progress)
        verification = provisioning.verify(snapshot)
        result |= {"aligned": verification.aligned, "differs": [c.key for c in verification.plan.pending]}
        progress.log("live == design" if verification.aligned else "drift: " + ", ".join(result["differs"]))
    if job.kind in ("audit", "drift"):
        snapshot = snapshot or provisioning.read(progress)
        findings = check_live(snapshot, design=flow.design, environment=job.environment)
        recorded = flow.record_audit(job.environment, findings)
        result |= {"failing": recorded.failing, "new_severe": (recorded.findings or {}).get("new_severe", 0)}
        progress.log(f"audit: {len(findings)} findings, {recorded.failing} failing or unreadable")
    if job.kind == "test":
        from infragate.workflow.infra_testing import InfraTesting, TestOptions

        testing = InfraTesting(flow, settings, job.environment)
        embedded = flow.design.environment(job.environment).settings.aws.embedded
        progress.log("testing the declared endpoints" + ("" if embedded else " (reading the live account first)"))
        report = testing.run(TestOptions(), None if embedded else provisioning.read(progress))
        testing.record(report)
        failing = [r.id for r in report.results if r.verdict.value in ("failed", "error")]
        result |= {"passed": report.passed, "failing": len(failing), "checks": len(report.results)}
        progress.log(f"test: {len(report.results)} checks, {len(failing)} failing or not run")
    if job.kind == "stress":
        from infragate.workflow.stress_testing import StressOptions, StressTesting

        stressing = StressTesting(flow, settings, job.environment)
        progress.log("stress test: Locust master and workers on this worker's machine")
        outcome = stressing.run(StressOptions(workers=int(job.params.get("workers", 1))))
        stressing.record(outcome)
        missed = [v.name for v in outcome.verdicts if not v.passed]
        result |= {"passed": outcome.passed, "missed": missed, "requests": outcome.results["overall"]["count"]}
        progress.log("stress: every SLO met" if outcome.passed else f"stress: missed {', '.join(missed)}")
    if job.kind == "scan":
        from infragate.workflow.scanning import Scanning, ScanOptions

        scanning = Scanning(flow, settings, job.environment)
        plan = scanning.plan(ScanOptions(profile=job.params.get("profile")))
        progress.log(f"OWASP scan of {len(plan.targets)} endpoint(s): engine {plan.engine}, profile {plan.profile}")
        scanned = scanning.run(plan, progress.log)
        _run_id, summary = scanning.record(plan, scanned)
        uncovered = [f"{c.url} ({c.status}: {c.detail})" for c in scanned.coverage if c.status != "scanned"]
        result |= {
            "complete": scanned.complete,
            "uncovered": uncovered,
            "counts": scanned.counts(),
            "new_severe": (summary.findings or {}).get("new_severe", 0),
        }
        progress.log(f"scan: {'complete' if scanned.complete else 'incomplete'}, {scanned.counts()}")
    if job.kind == "drill":
        from infragate.workflow.drills import Drilling

        drilled = Drilling(flow, settings, job.environment).run(job.params.get("component"), progress.log)
        result |= {"passed": drilled.summary.passed, "components": list(drilled.summary.components)}
        progress.log(f"drill: {'passed' if drilled.summary.passed else 'failed'}")
    if job.kind == "apply":
        reviewed = Plan.from_json(job.params["plan"], f"job {job.id}") if job.params.get("plan") else None
        with provisioning.writing(f"job {job.id}", lock_timeout_s=float(job.params.get("lock_timeout", 0))) as w:
            snapshot = w.read(progress)
            chosen = w.approved_plan(snapshot, reviewed, f"job {job.id}").plan
            applied = w.execute(
                chosen,
                snapshot,
                kind="apply",
                parallelism=int(job.params.get("parallelism", 8)),
                progress=progress,
                should_stop=cancelled,
            )
        counts = {s.value: sum(1 for o in applied.outcomes if o.status is s) for s in ChangeStatus}
        result |= {"outcomes": counts, "interrupted": applied.interrupted, "succeeded": applied.succeeded}
    return result


def _evidence(store: Store, job: JobView) -> list[dict[str, Any]]:
    """The runs this job recorded (its evidence in the store): kind, id and status."""
    with store.session() as session:
        project = session.query(Project).filter(Project.name == job.project).first()
        if project is None or job.started_at is None:
            return []
        rows = session.scalars(
            select(Run)
            .where(Run.project_id == project.id, Run.environment == job.environment, Run.started_at >= job.started_at)
            .order_by(Run.id)
        )
        return [{"kind": run.kind, "run": run.id, "status": run.status} for run in rows]


def run_job(settings: Settings, job_id: int) -> JobView | None:
    """Claim and run a queued job; returns its final record (None when there is no such job)."""
    store = open_store(settings)
    job = job_store.claim(store, job_id)
    if job is None:  # cancelled while queued, or already taken by another worker
        return job_store.get(store, job_id)
    stop, cancel = threading.Event(), threading.Event()

    def heartbeat() -> None:
        while not stop.wait(max(settings.job_lease_seconds / 3, 0.2)):
            if job_store.beat(store, job_id):
                cancel.set()

    beating = threading.Thread(target=heartbeat, name=f"infragate-job-{job_id}", daemon=True)
    beating.start()
    job_store.event(store, job_id, "log", f"started on {job.worker or 'this process'}")
    last_look = [0.0]

    def cancelled() -> bool:
        """Asked to stop? The heartbeat notices too, but this looks at the store itself, at most every 0.2 s,
        so a cancel lands between two changes rather than a heartbeat later."""
        now = time.monotonic()
        if not cancel.is_set() and now - last_look[0] >= 0.2:
            last_look[0] = now
            view = job_store.get(store, job_id)
            if view is None or view.cancel_requested:
                cancel.set()
        return cancel.is_set()

    try:
        result = _dispatch(store, settings, job, cancelled)
        state = "cancelled" if cancel.is_set() else "succeeded"
        if job.kind == "apply" and not result.get("succeeded", True) and state != "cancelled":
            state = "failed"
    except InfragateError as error:
        state, result = "failed", {"error": error.message, "hint": error.hint}
    except Exception as error:  # a bug fails the job with its reason; it never leaves it "running"
        state, result = "failed", {"error": f"internal error ({type(error).__name__}: {error})"}
    finally:
        stop.set()
        beating.join(timeout=5)
    result["runs"] = _evidence(store, job)
    job_store.event(store, job_id, "log", f"{state}: {result.get('error', '')}".rstrip(": "))
    job_store.finish(store, job_id, state, result)
    finished = job_store.get(store, job_id)
    if finished is not None and finished.schedule_id is not None:
        _tell_accountable(store, finished)
    return finished


def _tell_accountable(store: Store, job: JobView) -> None:
    """A schedule that failed, found drift, or found new high findings notifies who is accountable."""
    messages: list[tuple[tuple[Role, ...], str]] = []
    if job.state == "failed":
        messages.append(((Role.LEAD,), f"the scheduled {job.kind} failed: {job.result.get('error', '')}"))
    if job.result.get("aligned") is False:
        messages.append(((Role.LEAD,), f"drift: {', '.join(job.result.get('differs', []))} differ from the design"))
    if job.kind == "scan" and job.state == "failed":  # a scan that could not run is never a clean scan
        messages.append(((Role.SECURITY,), f"the scheduled OWASP scan could not run: {job.result.get('error', '')}"))
    if job.result.get("complete") is False:
        messages.append(
            ((Role.SECURITY,), f"the scheduled OWASP scan was incomplete: {'; '.join(job.result.get('uncovered', []))}")
        )
    if job.result.get("new_severe"):
        messages.append(((Role.SECURITY, Role.LEAD), f"{job.result['new_severe']} new high or critical finding(s)"))
    if not messages:
        return
    path = registered_design(store, job.project)  # the design itself: a refused job is told about too
    if path is None:
        return
    try:
        design = load_design(path)
    except InfragateError:
        return
    for roles, body in messages:
        title = f"infragate: {job.project}/{job.environment} ({job.kind}, job {job.id})"
        told = notify(design, roles, title, body)
        job_store.event(store, job.id, "log", f"notified {', '.join(told) or 'nobody (no targets)'}: {body}")


def reap(settings: Settings, requeue: Callable[[int], None]) -> list[JobView]:
    """Jobs whose worker died: idempotent ones are queued again once, the others fail with the reason."""
    store = open_store(settings)
    dead = job_store.stale_running(store, timedelta(seconds=settings.job_lease_seconds))
    for job in dead:
        job_store.event(store, job.id, "log", f"its worker ({job.worker}) stopped renewing its heartbeat")
        if job.kind in IDEMPOTENT and job.attempts < 2:
            job_store.requeue(store, job.id)
            requeue(job.id)
        else:
            reason = f"its worker ({job.worker}) died mid-job; run it again after checking the environment"
            job_store.finish(store, job.id, "failed", {"error": reason})
    return dead
