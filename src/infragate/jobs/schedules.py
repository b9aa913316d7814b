"""Schedules: recurring jobs per environment, fired by the workers' periodic tick (once per minute)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from infragate.settings import Settings
from infragate.store import jobs as job_store
from infragate.store import open_store
from infragate.workflow.job_running import SCHEDULER


def matches(cron: str, moment: datetime) -> bool:
    """True when the five-field cron expression names ``moment``'s minute (UTC)."""
    from huey import crontab

    minute, hour, day, month, day_of_week = cron.split()
    return bool(crontab(minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week)(moment))


def fire_due(settings: Settings, now: datetime, enqueue: Callable[[int], None]) -> list[int]:
    """Queue a job for every enabled schedule due this minute, once (several workers may tick)."""
    store = open_store(settings)
    minute = now.replace(second=0, microsecond=0)
    fired = []
    for schedule in job_store.schedules(store):
        if not schedule.enabled or not matches(schedule.cron, minute.replace(tzinfo=None)):
            continue
        if not job_store.mark_fired(store, schedule.id, minute):
            continue
        job = job_store.create(
            store,
            project=schedule.project,
            environment=schedule.environment,
            kind=schedule.kind,
            requested_by=SCHEDULER,
            params={"schedule": schedule.name},
            schedule_id=schedule.id,
        )
        enqueue(job.id)
        fired.append(job.id)
    return fired
