"""Jobs as records: what a job was asked to do (``JobParams``) and what it found (``JobResult``), typed, kept
as JSON in the store and shown by the CLI, the API and the dashboard in one shape."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class JobParams(BaseModel):
    """What a job needs beyond its kind and environment (each kind reads its own)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    plan: str | None = None  # apply: the reviewed plan's JSON (`infragate plan --out`)
    lock_timeout: float = 0.0  # apply: seconds to wait for the environment's lock
    parallelism: int = Field(8, ge=1, le=64)  # apply: changes at once
    workers: int = Field(1, ge=0, le=64)  # stress: Locust workers on the worker's machine
    profile: str | None = None  # scan: the profile, instead of the environment's
    component: str | None = None  # drill: one database or bucket instead of all
    schedule: str | None = None  # the schedule that fired it


class JobRun(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str
    run: int
    status: str


class JobResult(BaseModel):
    """What a job found. Each kind fills its own fields; absent ones are left out of the JSON."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    error: str | None = None
    hint: str | None = None
    # verify, drift
    aligned: bool | None = None
    differs: list[str] | None = None
    # audit, drift, test
    failing: int | None = None
    new_severe: int | None = None
    # test, stress, drill
    passed: bool | None = None
    checks: int | None = None
    missed: list[str] | None = None
    requests: int | None = None
    components: list[str] | None = None
    # scan
    complete: bool | None = None
    uncovered: list[str] | None = None
    counts: dict[str, int] | None = None
    # apply
    outcomes: dict[str, int] | None = None
    interrupted: bool | None = None
    succeeded: bool | None = None
    # the runs the job recorded: its evidence in the store
    runs: list[JobRun] | None = None

    def merged(self, other: JobResult) -> JobResult:
        """This result with ``other``'s fields added (a drift job is a verify and an audit)."""
        return self.model_copy(update=other.model_dump(exclude_none=True))

    def verdict_failed(self) -> str | None:
        """None when the job's verdict holds (or it has none), else why not, in a few words. A job can run to
        its end and still find the environment failing: a pipeline step that waits on it must fail then too."""
        if self.passed is False:
            missed = ", ".join(self.missed or [])
            return "its verdict failed" + (f" (missed {missed})" if missed else "")
        if self.complete is False:
            return "the scan was incomplete: " + ("; ".join(self.uncovered or []) or "an endpoint failed")
        if self.aligned is False:
            return "the live setup differs from the design: " + ", ".join(self.differs or [])
        if self.failing:
            return f"{self.failing} check(s) failing or unreadable"
        if self.new_severe:
            return f"{self.new_severe} new high or critical finding(s)"
        return None
