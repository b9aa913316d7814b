"""The queue that carries jobs to workers: Huey, on SQLite under ``$INFRAGATE_HOME`` by default or on Redis
(``INFRAGATE_QUEUE_URL``). Only job ids travel through it; the records live in the store."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from infragate.errors import UsageError
from infragate.jobs.runner import KINDS, reap, run_job
from infragate.jobs.schedules import fire_due
from infragate.settings import Settings
from infragate.store import jobs as job_store
from infragate.store import open_store
from infragate.store.jobs import JobView
from infragate.workflow import audit_trail

logger = logging.getLogger("infragate.worker")

IDLE_POLL_MAX_S = 0.5  # an idle worker looks at the queue at least this often: a job starts within a second


@dataclass
class Queue:
    huey: Any
    enqueue: Callable[[int], None]
    description: str


def make_queue(settings: Settings) -> Queue:
    from huey import RedisHuey, SqliteHuey, crontab  # loaded only by commands that queue or work

    if settings.queue_url:
        huey = RedisHuey("infragate", url=settings.queue_url, results=False)
        where = f"Redis at {settings.queue_url}"
    else:
        settings.home.mkdir(parents=True, exist_ok=True)
        path = settings.home / "queue.db"
        huey = SqliteHuey("infragate", filename=str(path), results=False)
        where = f"SQLite at {path}"

    def run(job_id: int) -> None:
        run_job(settings, job_id)

    task: Any = huey.task(name="infragate.run_job")(run)

    def tick() -> None:
        fire_due(settings, datetime.now(UTC), task)
        reap(settings, task)

    huey.periodic_task(crontab(minute="*"), name="infragate.tick")(tick)
    huey.periodic_task(crontab(minute="0"), name="infragate.audit-checkpoint")(lambda: checkpoint(settings))
    return Queue(huey, task, where)


def checkpoint(settings: Settings) -> None:
    """Hourly: verify the audit log and sign a checkpoint of its head; a broken log goes to the worker's log."""
    result = audit_trail.scheduled_checkpoint(open_store(settings))
    if not result.intact:
        logger.error("the audit log is broken: %s", "; ".join(f"entry {b.entry_id}: {b.reason}" for b in result.breaks))


def submit(
    settings: Settings,
    *,
    project: str,
    environment: str,
    kind: str,
    requested_by: str,
    params: dict[str, Any] | None = None,
    here: bool = False,
) -> JobView:
    """Record a job and hand it to the queue, or (``here``) run it now in this process."""
    if kind not in KINDS:
        raise UsageError(f"there is no job kind '{kind}'", hint=f"Use one of: {', '.join(KINDS)}.")
    store = open_store(settings)
    job = job_store.create(
        store, project=project, environment=environment, kind=kind, requested_by=requested_by, params=params
    )
    if here:
        return run_job(settings, job.id) or job
    make_queue(settings).enqueue(job.id)
    return job


def work(settings: Settings, queue: Queue, workers: int) -> None:
    """Consume the queue until SIGINT or SIGTERM: run jobs, fire schedules, and first fail or requeue the jobs
    of workers that died."""
    reap(settings, queue.enqueue)
    consumer = queue.huey.create_consumer(
        workers=workers, worker_type="thread", periodic=True, initial_delay=0.05, max_delay=IDLE_POLL_MAX_S
    )
    consumer.run()
