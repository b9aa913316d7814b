"""What a stress run measured, as the locustfile (or the Loader.io adapter) writes it: typed, so the verdicts,
the breaking point, the reports and the record read named fields, and a figure an engine does not report
(Loader.io's percentiles, anything of a window that measured nothing) is None, never a zero."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Figures(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Percentiles(_Figures):
    """Response times in ms (HdrHistogram, 3 significant digits); None where nothing was measured."""

    p50: float | None = None
    p90: float | None = None
    p95: float | None = None
    p99: float | None = None
    p99_9: float | None = None
    max: float | None = None
    mean: float | None = None


class Measure(Percentiles):
    """Requests, failed requests (``unanswered``: failed with no HTTP response at all) and response times."""

    count: int = 0
    errors: int = 0
    unanswered: int = 0


class LocustFigures(_Figures):
    """Locust's own, rounded figures, shown beside ours (a check that nothing was lost between processes)."""

    count: int = 0
    errors: int = 0
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None


class NameMeasure(Measure):
    """One request name."""

    locust: LocustFigures = Field(default_factory=LocustFigures)


class Window(Measure):
    """One time window: from ``start`` seconds, the requests/s and the users running."""

    start: float
    rps: float = 0.0
    users: int = 0


class Hold(Measure):
    """The window the SLO verdicts judge (seconds from the start)."""

    begin: float = Field(0.0, alias="from")
    end: float = Field(0.0, alias="to")


class StageMeasure(Measure):
    """One stage of the load (a step of ``--find-limit``), with each request name's percentiles."""

    index: int
    begin: float = Field(alias="from")
    end: float = Field(alias="to")
    users: int
    names: dict[str, Percentiles] = Field(default_factory=dict)


class Capped(_Figures):
    """The cap the load went over, which stopped the run."""

    cap: str
    measured: float
    limit: float


class CpuSeriesOut(_Figures):
    """One server's or database's CloudWatch CPU: (seconds since the window began, average CPU %)."""

    component: str
    kind: str
    resource: str
    points: list[tuple[float, float]] = Field(default_factory=list)
    peak: float | None = None
    mean: float | None = None


class CloudWatchCpu(_Figures):
    """The environment's CPU over the test (context for the report, never a verdict), or why there is none."""

    status: str  # read, not read, not applicable
    reason: str | None = None
    unread: str | None = None
    series: list[CpuSeriesOut] = Field(default_factory=list)


class StressResults(_Figures):
    """One run's measurements."""

    engine: str = "locust"
    public_results_url: str | None = None  # Loader.io's page of the run
    started_at: float | None = None
    duration_s: float = 0.0
    window_s: float = 1.0
    overall: Measure = Field(default_factory=Measure)
    hold: Hold = Field(default_factory=Hold)
    locust_overall: LocustFigures = Field(default_factory=LocustFigures)
    names: dict[str, NameMeasure] = Field(default_factory=dict)
    windows: list[Window] = Field(default_factory=list)
    stages: list[StageMeasure] = Field(default_factory=list)
    spectrum: list[tuple[float, float]] = Field(default_factory=list)  # (percentile, ms)
    capped: Capped | None = None
    cloudwatch: CloudWatchCpu | None = None

    def to_json(self) -> str:
        """The document as the locustfile wrote it (``from``/``to``; figures not measured left out)."""
        return self.model_dump_json(by_alias=True, exclude_none=True, indent=2)
