"""Run collectors in parallel; a failing collector is recorded, the others still finish."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from infragate.aws import AwsConnection
from infragate.errors import AwsError
from infragate.inventory.scope import Scope
from infragate.inventory.snapshot import CollectorFailure, Snapshot

Progress = Callable[[str, bool], None]
"""Called as each collector finishes, with its name and whether it succeeded."""


@dataclass(frozen=True)
class Collector:
    """One service's collector: reads AWS through the connection and fills its sections of the snapshot."""

    name: str
    run: Callable[[AwsConnection, Scope, Snapshot], None]


def collect(
    connection: AwsConnection,
    collectors: Sequence[Collector],
    scope: Scope,
    *,
    progress: Progress | None = None,
    parallelism: int = 8,
) -> Snapshot:
    snapshot = Snapshot(region=connection.spec.region)

    def run_one(collector: Collector) -> CollectorFailure | None:
        try:
            collector.run(connection, scope, snapshot)
        except AwsError as error:
            return CollectorFailure(collector.name, error.message, error.code)
        return None

    with ThreadPoolExecutor(max_workers=max(1, min(parallelism, len(collectors)))) as pool:
        for collector, failure in zip(collectors, pool.map(run_one, collectors), strict=True):
            if failure is not None:
                snapshot.failures.append(failure)
            if progress is not None:
                progress(collector.name, failure is None)
    return snapshot
