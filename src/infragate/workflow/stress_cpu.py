"""The CloudWatch CPU of an environment's instance groups and databases over a stress test's window, for its
report; or, said plainly, why there is none. It never fails the stress test: it is context, not a verdict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from infragate.design import Design
from infragate.errors import InfragateError
from infragate.settings import Settings
from infragate.stress.results import CloudWatchCpu, CpuSeriesOut, StressResults
from infragate.workflow.connections import connect

PERIOD_S = 60


def cpu_during_test(settings: Settings, design: Design, environment: str, results: StressResults) -> CloudWatchCpu:
    """The CPU series (status "read"), or "not read" / "not applicable" and the reason."""
    from infragate.aws.embedded import EmbeddedAws
    from infragate.inventory import Scope, collect
    from infragate.inventory import ec2 as ec2_collector
    from infragate.inventory import rds as rds_collector
    from infragate.inventory.metrics import cpu_during

    env = design.environment(environment)
    if env.settings.aws.embedded and not EmbeddedAws(settings.home).status().running:
        return CloudWatchCpu(
            status="not applicable", reason="embedded AWS is not running, so nothing is applied to watch"
        )
    started_at = results.started_at or 0.0
    if not started_at:
        return CloudWatchCpu(status="not read", reason="the run recorded no start time")
    # CloudWatch aggregates by whole periods: widen the window to the periods the test touched.
    start = datetime.fromtimestamp(started_at, UTC).replace(second=0, microsecond=0)
    end = datetime.fromtimestamp(started_at + results.duration_s, UTC) + timedelta(seconds=PERIOD_S)
    try:
        connection = connect(settings, env.settings)
        snapshot = collect(
            connection,
            [ec2_collector.COLLECTOR, rds_collector.COLLECTOR],
            Scope(design.project.name, environment),
            regions=(env.settings.region,),
        )
        series = cpu_during(connection, snapshot, start, end, env.settings.region, PERIOD_S)
    except InfragateError as problem:
        return CloudWatchCpu(status="not read", reason=problem.message)
    unread = "; ".join(f"{f.collector}: {f.message}" for f in snapshot.failures)
    if not series:
        reason = f"no instance group or database of {environment} is live" + (
            f" (not read: {unread})" if unread else ""
        )
        return CloudWatchCpu(status="not read" if unread else "read", reason=reason)
    document = CloudWatchCpu(
        status="read",
        unread=unread or None,
        series=[
            CpuSeriesOut(
                component=s.component, kind=s.kind, resource=s.resource, points=list(s.points), peak=s.peak, mean=s.mean
            )
            for s in series
        ],
    )
    if not any(s.points for s in series):
        document.reason = (
            "embedded AWS records no CPU metrics"
            if env.settings.aws.embedded
            else "CloudWatch has no datapoints for the window yet (basic monitoring samples every 5 minutes)"
        )
    return document
