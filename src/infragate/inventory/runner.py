"""Run collectors in parallel over services and regions; a failing collector is recorded, the others finish."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from infragate.errors import AwsError
from infragate.inventory.scope import Scope
from infragate.inventory.snapshot import CollectorFailure, Snapshot
from infragate.model import Section

if TYPE_CHECKING:  # for annotations only: importing it at run time would load boto3 or SQLAlchemy
    from infragate.aws import AwsConnection


class Progress(Protocol):
    """Told which collectors will run (labels like ``ec2`` or ``ec2 eu-west-1``), then as each finishes."""

    def started(self, labels: Sequence[str]) -> None: ...

    def finished(self, label: str, succeeded: bool) -> None: ...


GLOBAL_REGION = "us-east-1"  # where AWS serves CloudFront, Route 53 and Shield


@dataclass(frozen=True)
class Collector:
    """One service's collector: reads AWS through the connection and fills its sections of the snapshot.

    A regional collector runs once per audited region; a global one once, in ``GLOBAL_REGION`` (or the
    connection's region for S3, whose bucket list is global but whose endpoint is regional).
    """

    name: str
    sections: frozenset[Section]
    run: Callable[[AwsConnection, Scope, Snapshot, str], None]
    regional: bool = True
    global_region: str | None = GLOBAL_REGION


@dataclass(frozen=True)
class _Job:
    collector: Collector
    region: str
    label: str


def _jobs(collectors: Sequence[Collector], regions: Sequence[str], default_region: str) -> list[_Job]:
    jobs = []
    for collector in collectors:
        if collector.regional:
            for region in regions:
                label = collector.name if len(regions) == 1 else f"{collector.name} {region}"
                jobs.append(_Job(collector, region, label))
        else:
            jobs.append(_Job(collector, collector.global_region or default_region, collector.name))
    return jobs


def collect(
    connection: AwsConnection,
    collectors: Sequence[Collector],
    scope: Scope,
    *,
    regions: Sequence[str] = (),
    progress: Progress | None = None,
    parallelism: int | None = None,
) -> Snapshot:
    """Read every collector's services. The caller's identity is read first: if that fails nothing would
    work, so the error is raised (endpoint unreachable, no credentials) instead of recorded N times."""
    regions = tuple(regions) or (connection.spec.region,)
    snapshot = Snapshot(regions=regions, scope=scope)
    snapshot.account = str(connection.call("sts", "get_caller_identity")["Account"])

    def run_one(job: _Job) -> Snapshot | CollectorFailure:
        """One collector run, into a snapshot of its own: no two threads ever write the same object, and a
        collector that fails half-way leaves nothing behind but its failure."""
        sections = job.collector.sections
        part = Snapshot(regions=regions, scope=scope, account=snapshot.account)
        try:
            job.collector.run(connection, scope, part, job.region)
        except AwsError as error:
            return CollectorFailure(job.label, error.message, error.code, sections)
        except Exception as error:  # a collector bug must not hide what the other collectors found
            message = f"the collector crashed ({type(error).__name__}: {error}); this is a bug, please report it"
            return CollectorFailure(job.label, message, "inventory.collector-crashed", sections)
        return part

    jobs = _jobs(collectors, regions, connection.spec.region)
    snapshot.collected = [job.label for job in jobs]
    if progress is not None:
        progress.started(snapshot.collected)
    workers = parallelism or connection.spec.concurrency
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(jobs)))) as pool:
        futures = {pool.submit(run_one, job): job for job in jobs}
        for future in as_completed(futures):  # merged here, in this one thread
            outcome = future.result()
            if isinstance(outcome, CollectorFailure):
                snapshot.failures.append(outcome)
            else:
                snapshot.absorb(outcome)
            if progress is not None:
                progress.finished(futures[future].label, not isinstance(outcome, CollectorFailure))
    snapshot.failures.sort(key=lambda failure: failure.collector)
    return snapshot
