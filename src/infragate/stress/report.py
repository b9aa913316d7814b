"""The stress report for people: HTML with charts drawn as inline SVG (no script, nothing fetched): requests/s
and users, p50/p95/p99 and errors over time, the latency distribution, the SLO verdicts, the breaking point
and the per-request table."""

from __future__ import annotations

from html import escape

from pydantic import BaseModel

from infragate.stress.results import CloudWatchCpu, StressResults
from infragate.stress.scenario import ScenarioJson
from infragate.stress.verdicts import SloVerdict


class StressDocument(BaseModel):
    """One run, as ``infragate stress --format json`` writes it and the HTML report draws it."""

    run: int
    passed: bool
    interrupted: bool
    scenario: ScenarioJson
    verdicts: list[SloVerdict]
    limit: str | None  # --find-limit: the breaking point, described
    not_evaluated: str = ""  # why the run measured nothing to judge ("" when it did)
    results: StressResults

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, exclude_none=True, indent=2)


COLORS = ("#0b4f9c", "#b35c00", "#a40000", "#0b6b2b", "#6a3d9a")
WIDTH, HEIGHT, PAD = 640, 220, 44


def _scale(values: list[float], size: float, margin: float) -> tuple[float, float]:
    top = max(values) if values and max(values) > 0 else 1.0
    return top, (size - 2 * margin) / top


def line_chart(title: str, series: dict[str, list[tuple[float, float]]], unit: str, x_unit: str = "s") -> str:
    """Lines over a shared x axis (seconds), with the y axis from 0 to the largest value."""
    xs = [x for points in series.values() for x, _ in points] or [0.0, 1.0]
    ys = [y for points in series.values() for _, y in points] or [0.0]
    x_low, x_high = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y_top, y_per = _scale(ys, HEIGHT, PAD / 2)

    def at(x: float, y: float) -> str:
        return f"{PAD + (x - x_low) / (x_high - x_low) * (WIDTH - 1.5 * PAD):.1f},{HEIGHT - PAD / 2 - y * y_per:.1f}"

    parts = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">',
        f'<line x1="{PAD}" y1="{HEIGHT - PAD / 2}" x2="{WIDTH - PAD / 2}" y2="{HEIGHT - PAD / 2}" class="axis"/>',
        f'<line x1="{PAD}" y1="{PAD / 2}" x2="{PAD}" y2="{HEIGHT - PAD / 2}" class="axis"/>',
        f'<text x="4" y="{PAD / 2 + 4}" class="tick">{y_top:.4g} {escape(unit)}</text>',
        f'<text x="4" y="{HEIGHT - PAD / 2}" class="tick">0</text>',
        f'<text x="{WIDTH - PAD * 2}" y="{HEIGHT - 4}" class="tick">{x_high:.0f} {escape(x_unit)}</text>',
    ]
    for index, (label, points) in enumerate(series.items()):
        color = COLORS[index % len(COLORS)]
        if points:
            coordinates = " ".join(at(x, y) for x, y in points)
            parts.append(f'<polyline points="{coordinates}" fill="none" stroke="{color}" stroke-width="2"/>')
        parts.append(
            f'<text x="{PAD + 70 + index * 120}" y="{PAD / 2 - 4}" fill="{color}" class="legend">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return f"<figure><figcaption>{escape(title)}</figcaption>{''.join(parts)}</figure>"


def render_html(document: StressDocument) -> str:
    """The report of one run: its scenario, verdicts, breaking point and results."""
    results, scenario = document.results, document.scenario
    windows = results.windows
    mid = [w.start + results.window_s / 2 for w in windows]
    charts = [
        line_chart(
            "Requests per second and users",
            {
                "requests/s": list(zip(mid, [w.rps for w in windows], strict=True)),
                "users": list(zip(mid, [float(w.users) for w in windows], strict=True)),
            },
            "",
        ),
        line_chart(
            "Latency over time (HdrHistogram)",
            {
                "p50": list(zip(mid, [w.p50 or 0.0 for w in windows], strict=True)),
                "p95": list(zip(mid, [w.p95 or 0.0 for w in windows], strict=True)),
                "p99": list(zip(mid, [w.p99 or 0.0 for w in windows], strict=True)),
            },
            "ms",
        ),
        line_chart(
            "Errors per window", {"errors": list(zip(mid, [float(w.errors) for w in windows], strict=True))}, ""
        ),
        line_chart(
            "Latency distribution (ms at each percentile)", {"latency": results.spectrum}, "ms", "th percentile"
        ),
    ]
    verdicts = "".join(
        f'<tr><td>{escape(v.name)}</td><td class="{"met" if v.passed else "missed"}">'
        f"{'met' if v.passed else 'missed'}</td><td>{escape(v.detail)}</td></tr>"
        for v in document.verdicts
    )
    names = "".join(
        f"<tr><td>{escape(name)}</td><td>{s.count}</td><td>{s.errors}</td>"
        + "".join(f"<td>{value or 0.0:.1f}</td>" for value in (s.p50, s.p90, s.p95, s.p99, s.p99_9, s.max))
        + f"<td>{'' if s.locust.p95 is None else s.locust.p95}</td></tr>"
        for name, s in sorted(results.names.items(), key=lambda item: -(item[1].p95 or 0.0))
    )
    limit = f"<h2>The breaking point</h2><p>{escape(document.limit)}</p>" if document.limit else ""
    cpu = cpu_section(results.cloudwatch)
    title = f"Stress test: {scenario['environment']}, {scenario['profile']} to {scenario['peak_rps']:g} requests/s"
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>body{{font:15px/1.45 system-ui,sans-serif;color:#111;max-width:1100px;margin:1.5rem auto;padding:0 1rem}}
table{{border-collapse:collapse}}td,th{{border-bottom:1px solid #ccc;padding:.3rem .5rem;text-align:left}}
.met{{color:#0b6b2b;font-weight:600}}.missed{{color:#a40000;font-weight:600}}figure{{display:inline-block;margin:.5rem}}
svg{{width:{WIDTH}px;height:{HEIGHT}px;background:#fafafa;border:1px solid #ddd}}.axis{{stroke:#555}}
.tick,.legend{{font-size:12px}}figcaption{{font-weight:600}}</style></head><body>
<h1>{escape(title)}</h1>
<p>{_headline(document)} {results.overall.count} requests in
{results.duration_s:.0f} s; the verdicts judge the hold from {scenario["hold"][0]:g} s to
{scenario["hold"][1]:g} s. Percentiles are exact to 3 significant digits (HdrHistogram); Locust's own, rounded,
are shown beside them.</p>
<h2>SLO verdicts</h2><table><tr><th>SLO</th><th>Verdict</th><th>Measured against target</th></tr>{verdicts}</table>
{limit}
<h2>Over time</h2>{"".join(charts)}
<h2>Per request name (ms)</h2><table><tr><th>Request</th><th>Count</th><th>Errors</th><th>p50</th><th>p90</th>
<th>p95</th><th>p99</th><th>p99.9</th><th>max</th><th>Locust p95</th></tr>{names}</table>
{cpu}
</body></html>
"""


def _headline(document: StressDocument) -> str:
    if document.passed:
        return "Every SLO met."
    if document.not_evaluated:
        return f"Not evaluated, it measured nothing: {escape(document.not_evaluated)}."
    return "Missed: see below."


def cpu_section(cloudwatch: CloudWatchCpu | None) -> str:
    """The servers' and databases' CloudWatch CPU over the test: a chart and a table, or why there is none."""
    heading = "<h2>Servers and databases: CloudWatch CPU over the test</h2>"
    if cloudwatch is None:
        return heading + "<p>Not read (this run predates it).</p>"
    series = cloudwatch.series
    reason = (
        f"<p>{escape(cloudwatch.status.capitalize())}: {escape(cloudwatch.reason)}.</p>" if cloudwatch.reason else ""
    )
    if cloudwatch.unread:
        reason += f"<p>Not read: {escape(cloudwatch.unread)}.</p>"
    if not series:
        return heading + reason
    with_points = {f"{s.component} {s.resource}": s.points for s in series if s.points}
    chart = line_chart("CPU % (CloudWatch averages)", with_points, "%") if with_points else ""
    rows = "".join(
        f"<tr><td>{escape(s.component)}</td><td>{escape(s.kind)}</td><td>{escape(s.resource)}</td>"
        + "".join(f"<td>{'—' if value is None else f'{value:.1f}%'}</td>" for value in (s.peak, s.mean))
        + "</tr>"
        for s in series
    )
    table = f"<table><tr><th>Component</th><th>Kind</th><th>Resource</th><th>Peak</th><th>Mean</th></tr>{rows}</table>"
    return heading + reason + chart + table
