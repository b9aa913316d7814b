"""Jobs as infragate's own parts make them (a schedule, a pipeline with a system identity): recorded in the
store and handed to the queue, or run here, without a person's request."""

from __future__ import annotations

from infragate.jobs.queue import make_queue
from infragate.jobs.runner import run_job
from infragate.settings import Settings
from infragate.store import jobs as job_store
from infragate.store import open_store
from infragate.store.jobs import JobView


def submit(
    settings: Settings,
    *,
    project: str,
    environment: str,
    kind: str,
    requested_by: str,
    params: dict[str, object] | None = None,
    here: bool = False,
) -> JobView:
    """Record a job and hand it to the queue, or (``here``) run it now in this process; its record."""
    store = open_store(settings)
    job = job_store.create(
        store, project=project, environment=environment, kind=kind, requested_by=requested_by, params=params
    )
    if here:
        run_job(settings, job.id)
        found = job_store.get(store, job.id)
        assert found is not None
        return found
    make_queue(settings).enqueue(job.id)
    return job
