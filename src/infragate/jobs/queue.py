"""The queue that carries jobs to workers: Huey, on SQLite under ``$INFRAGATE_HOME`` by default or on Redis
(``INFRAGATE_QUEUE_URL``). Only job ids travel through it; the records live in the store."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from infragate.jobs.runner import reap, run_job
from infragate.jobs.schedules import fire_due
from infragate.settings import Settings
from infragate.store import open_store
from infragate.workflow import audit_trail

if TYPE_CHECKING:  # for annotations only: Huey is loaded by commands that queue or work
    from huey import Huey

logger = logging.getLogger("infragate.worker")

IDLE_POLL_MAX_S = 0.5  # an idle worker looks at the queue at least this often: a job starts within a second


@dataclass
class Queue:
    huey: Huey
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

    task: Callable[[int], None] = huey.task(name="infragate.run_job")(run)

    def tick() -> None:
        fire_due(settings, datetime.now(UTC), task)
        reap(settings, task)

    huey.periodic_task(crontab(minute="*"), name="infragate.tick")(tick)
    huey.periodic_task(crontab(minute="0"), name="infragate.audit-checkpoint")(lambda: checkpoint(settings))
    return Queue(huey, task, where)


class LazyQueue:
    """The queue, opened when the first job is handed to it (most commands never queue one)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._queue: Queue | None = None

    def enqueue(self, job_id: int) -> None:
        if self._queue is None:
            self._queue = make_queue(self.settings)
        self._queue.enqueue(job_id)


def checkpoint(settings: Settings) -> None:
    """Hourly: verify the audit log and sign a checkpoint of its head; a broken log goes to the worker's log."""
    result = audit_trail.scheduled_checkpoint(open_store(settings))
    if not result.intact:
        logger.error("the audit log is broken: %s", "; ".join(f"entry {b.entry_id}: {b.reason}" for b in result.breaks))


def work(settings: Settings, queue: Queue, workers: int) -> None:
    """Consume the queue until SIGINT or SIGTERM: run jobs, fire schedules, and first fail or requeue the jobs
    of workers that died."""
    reap(settings, queue.enqueue)
    consumer = queue.huey.create_consumer(
        workers=workers, worker_type="thread", periodic=True, initial_delay=0.05, max_delay=IDLE_POLL_MAX_S
    )
    consumer.run()
