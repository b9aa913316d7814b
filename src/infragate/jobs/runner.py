"""Running one job on a worker (or ``--here``): claim it, keep its heartbeat, show its progress as job events,
let it be cancelled between changes, and record its result. What the job does, as whom, and who is told is
the application layer's (``workflow.job_running``); this is the worker's side of it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import timedelta
from typing import TYPE_CHECKING

from infragate.errors import InfragateError
from infragate.jobs.notify import notify
from infragate.provision.executor import Outcome
from infragate.provision.plan import Change, Plan
from infragate.settings import Settings
from infragate.workflow import job_running
from infragate.workflow.bus import handle
from infragate.workflow.context import Caller, UnitOfWork, open_unit_of_work
from infragate.workflow.jobs_model import JobResult
from infragate.workflow.stages import registry

if TYPE_CHECKING:
    from infragate.store.jobs import JobView as StoredJob
    from infragate.workflow.locking import LockOut

STARTED_BY = Caller("infragate", via="worker")


class JobView:
    """Progress of the reads and changes, as job events (what `jobs logs` shows); cancellation between
    changes. A job's person already decided when they asked for it: nothing is asked again."""

    def __init__(self, uow: UnitOfWork, job_id: int, cancelled: Callable[[], bool]) -> None:
        self.uow, self.job_id, self.cancelled = uow, job_id, cancelled

    def _event(self, kind: str, message: str) -> None:
        from infragate.store import jobs as job_store

        job_store.event(self.uow.store, self.job_id, kind, message)

    def log(self, message: str) -> None:
        self._event("log", message)

    def drawing(self) -> AbstractContextManager[object]:
        return nullcontext()

    @contextmanager
    def reading(self, target: str) -> Iterator[JobView]:
        self._event("progress", f"reading {target}")
        yield self

    @contextmanager
    def changing(self, count: int) -> Iterator[JobView]:
        self._event("progress", f"{count} change(s) to make")
        yield self

    def waiting_for_lock(self, held: LockOut) -> None:
        self.log(f"waiting for the lock of {held.project}/{held.environment}, held by {held.describe()}")

    def confirm_changes(self, plan: Plan, target: str, *, destroy: bool) -> bool:
        return True

    def should_stop(self) -> bool:
        return self.cancelled()

    def stress_progress(self, sample: dict[str, float]) -> None:
        return None

    # the inventory's and the executor's progress
    def started(self, labels: Sequence[str] | Change) -> None:
        if isinstance(labels, Change):
            return
        self._event("progress", f"reading {', '.join(labels)}")

    def finished(self, label: str | Outcome, succeeded: bool = True) -> None:
        if isinstance(label, Outcome):
            self._event("progress", f"{label.change.key}: {label.status.value}")
        elif not succeeded:
            self._event("progress", f"{label}: could not be read")


def run_job(settings: Settings, job_id: int) -> str | None:
    """Claim and run a queued job; returns its final state (None when there is no such job)."""
    from infragate.store import jobs as job_store

    uow = open_unit_of_work(settings, notifier=notify)
    store = uow.store
    job = job_store.claim(store, job_id)
    if job is None:  # cancelled while queued, or already taken by another worker
        found = job_store.get(store, job_id)
        return found.state if found is not None else None
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

    uow.view = JobView(uow, job_id, cancelled)
    try:
        result = handle(job_running.RunJob(job_id=job_id), STARTED_BY, uow)
        state = "cancelled" if cancel.is_set() else "succeeded"
        if job.kind == "apply" and result.succeeded is False and state != "cancelled":
            state = "failed"
    except InfragateError as error:
        state, result = "failed", JobResult(error=error.message, hint=error.hint or None)
    except Exception as error:  # a bug fails the job with its reason; it never leaves it "running"
        state, result = "failed", JobResult(error=f"internal error ({type(error).__name__}: {error})")
    finally:
        stop.set()
        beating.join(timeout=5)
    result = result.model_copy(update={"runs": job_running.evidence_of(uow, job)})
    job_store.event(store, job_id, "log", f"{state}: {result.error or ''}".rstrip(": "))
    job_store.finish(store, job_id, state, result.model_dump(mode="json", exclude_none=True))
    finished = job_store.get(store, job_id)
    if finished is not None and finished.schedule_id is not None:
        job_running.tell_accountable(uow, finished)
    return finished.state if finished is not None else None


def reap(settings: Settings, requeue: Callable[[int], None]) -> list[StoredJob]:
    """Jobs whose worker died: idempotent ones are queued again once, the others fail with the reason."""
    from infragate.store import jobs as job_store
    from infragate.store import open_store

    store = open_store(settings)
    dead = job_store.stale_running(store, timedelta(seconds=settings.job_lease_seconds))
    kinds = registry().jobs
    for job in dead:
        job_store.event(store, job.id, "log", f"its worker ({job.worker}) stopped renewing its heartbeat")
        kind = kinds.get(job.kind)
        if kind is not None and kind.idempotent and job.attempts < 2:
            job_store.requeue(store, job.id)
            requeue(job.id)
        else:
            reason = f"its worker ({job.worker}) died mid-job; run it again after checking the environment"
            job_store.finish(store, job.id, "failed", {"error": reason})
    return dead
