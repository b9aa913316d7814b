"""The breaking point (``--find-limit``): the load rises step by step to the caps; each step is judged
against the design's targets, and the first step that misses one is where the system broke, with the limit
that broke first (errors, latency, or throughput: the generator offered more than the system answered)."""

from __future__ import annotations

from dataclasses import dataclass

from infragate.model.operations import Slo
from infragate.stress.results import StageMeasure, StressResults

THROUGHPUT = 0.9  # a step is carried when at least 90% of the offered requests/s were answered


@dataclass(frozen=True)
class Step:
    index: int
    users: int
    offered_rps: float
    achieved_rps: float
    p95: float
    p99: float
    error_rate: float
    broken: tuple[str, ...]  # the limits this step missed: errors, latency, throughput

    @property
    def sustainable(self) -> bool:
        return not self.broken


@dataclass(frozen=True)
class BreakingPoint:
    steps: list[Step]

    @property
    def last_sustainable(self) -> Step | None:
        good = None
        for step in self.steps:
            if not step.sustainable:
                break
            good = step
        return good

    @property
    def broke_at(self) -> Step | None:
        return next((step for step in self.steps if not step.sustainable), None)

    def describe(self) -> str:
        broke, last = self.broke_at, self.last_sustainable
        held = f"{last.achieved_rps:.1f} requests/s ({last.users} users)" if last else "not even the first step"
        if broke is None:
            return f"no limit found up to the caps: {held} within every target"
        return (
            f"sustainable up to {held}; broke at {broke.offered_rps:g} requests/s offered ({broke.users} users) on "
            f"{' and '.join(broke.broken)} first (p95 {broke.p95:.1f} ms, p99 {broke.p99:.1f} ms, "
            f"{broke.error_rate:.2%} errors, {broke.achieved_rps:.1f} requests/s answered)"
        )


def breaking_point(results: StressResults, targets: Slo, rps_per_user: float) -> BreakingPoint:
    steps = []
    for stage in results.stages:
        count = stage.count
        offered = stage.users * rps_per_user
        achieved = _rate(stage)
        error_rate = stage.errors / count if count else 1.0
        p95, p99 = stage.p95 or 0.0, stage.p99 or 0.0
        broken = []
        if error_rate > targets.max_error_rate:
            broken.append("errors")
        if not count or p95 > targets.p95_ms or p99 > targets.p99_ms:
            broken.append("latency")
        if achieved < THROUGHPUT * offered:
            broken.append("throughput")
        steps.append(Step(stage.index, stage.users, offered, achieved, p95, p99, error_rate, tuple(broken)))
    return BreakingPoint(steps)


def growth(results: StressResults, top: int = 5) -> list[tuple[str, float]]:
    """Request names whose p95 grows fastest with load: ms of p95 per 10 requests/s more, between the first
    and the last step that measured them."""
    stages = [s for s in results.stages if s.count]
    if len(stages) < 2:
        return []
    first, last = stages[0], stages[-1]
    more = _rate(last) - _rate(first)
    if more <= 0:
        return []
    slopes = []
    for name, late in last.names.items():
        early = first.names.get(name)
        if early is not None and early.p95 is not None and late.p95 is not None:
            slopes.append((name, (late.p95 - early.p95) / more * 10))
    return sorted(slopes, key=lambda x: -x[1])[:top]


def _rate(stage: StageMeasure) -> float:
    """Requests answered per second over the stage."""
    return stage.count / max(stage.end - stage.begin, 1e-9)
