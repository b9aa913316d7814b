"""What a stress run says about the policy's question (ICP-3.3): at the design's peak load, held, were p95,
p99 and the error rate within the targets? Each verdict carries the measured value beside its target. A run
that never reached the peak load, or measured nothing, cannot pass."""

from __future__ import annotations

from dataclasses import dataclass

from infragate.model.operations import Slo
from infragate.stress.results import StressResults

LOAD_REACHED = 0.9  # the hold must carry at least 90% of peak_rps to say anything about the peak


@dataclass(frozen=True)
class SloVerdict:
    name: str  # load, p95, p99, error rate
    passed: bool
    measured: float | None
    target: float
    unit: str
    detail: str


def slo_verdicts(results: StressResults, targets: Slo, peak_rps: float) -> list[SloVerdict]:
    hold = results.hold
    count = hold.count
    ended = min(hold.end, results.duration_s or hold.end)  # interrupted?
    seconds = max(ended - hold.begin, 1e-9)
    achieved = count / seconds
    verdicts = [
        SloVerdict(
            "load",
            achieved >= LOAD_REACHED * peak_rps,
            round(achieved, 1),
            peak_rps,
            "requests/s",
            f"{achieved:.1f} requests/s held for {seconds:.0f} s (peak_rps {peak_rps:g}; at least {LOAD_REACHED:.0%})",
        )
    ]
    if count == 0:
        detail = "nothing was measured at the peak: no latency or error rate can be judged"
        return [
            *verdicts,
            SloVerdict("p95", False, None, float(targets.p95_ms), "ms", detail),
            SloVerdict("p99", False, None, float(targets.p99_ms), "ms", detail),
            SloVerdict("error rate", False, None, float(targets.max_error_rate), "", detail),
        ]
    rate = hold.errors / count
    for name, value, target in (("p95", hold.p95, targets.p95_ms), ("p99", hold.p99, targets.p99_ms)):
        if value is None:  # an engine that reports no percentiles (Loader.io: an average only)
            detail = f"not evaluated: the engine reports no {name}, only a mean of {hold.mean or 0:.0f} ms"
            verdicts.append(SloVerdict(name, False, None, float(target), "ms", detail))
            continue
        measured = value
        detail = f"{measured:.1f} ms (target {target:g} ms)"
        verdicts.append(SloVerdict(name, measured <= target, measured, float(target), "ms", detail))
    verdicts.append(
        SloVerdict(
            "error rate",
            rate <= targets.max_error_rate,
            round(rate, 5),
            float(targets.max_error_rate),
            "",
            f"{rate:.2%} of {count} requests failed (target {targets.max_error_rate:.2%})",
        )
    )
    return verdicts


def slowest(results: StressResults, top: int = 5) -> list[tuple[str, float]]:
    """The request names by p95, slowest first."""
    ranked = sorted(((name, s.p95 or 0.0) for name, s in results.names.items()), key=lambda x: -x[1])
    return ranked[:top]


def cap_verdict(results: StressResults) -> SloVerdict | None:
    """A failing verdict when the run was stopped for going over a cap (the generated locustfile checks them
    while it runs: a locustfile's tasks may make more requests than the plan's pacing says)."""
    capped = results.capped
    if capped is None:
        return None
    cap, measured, limit = capped.cap, capped.measured, capped.limit
    if cap == "max_rps":
        unit, what = "requests/s", f"one second reached {measured:,.0f} requests, over max_rps {limit:,.0f}"
    else:
        unit, what = "requests", f"{measured:,.0f} requests in all, over max_requests {limit:,.0f}"
    return SloVerdict(
        "caps",
        False,
        round(measured, 1),
        limit,
        unit,
        f"stopped: {what}. The users made more requests than rps_per_user plans for (a locustfile's task may "
        "make several); lower their pace or raise the cap (a reviewed change)",
    )
