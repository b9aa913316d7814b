"""What an environment declares for its stress tests (ICP-3.3): the requests and their weights, the load
profile, and hard caps. Without a ``stress:`` section, the scenario is a GET of each endpoint."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, JsonValue, model_validator

from infragate.model.base import Model


class StressRequest(Model):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9 _/-]{0,79}$")
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    path: str = Field(pattern=r"^/[^\s]*$")
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = Field(default=None, max_length=64 * 1024)
    json_body: JsonValue = Field(default=None, alias="json")
    weight: int = Field(default=1, ge=1, le=1000)


class LoadProfile(Model):
    """How the load moves: ``ramp`` to the peak and hold; ``step`` up by ``step_users`` every ``step_s``;
    ``spike`` from a quarter of the peak to the peak and back; ``soak``, a long hold at the peak."""

    kind: Literal["ramp", "step", "spike", "soak"] = "ramp"
    ramp_s: int = Field(default=10, ge=1, le=3600, description="Seconds to reach the peak")
    hold_s: int = Field(default=20, ge=5, le=86_400, description="Seconds at the peak: what the SLOs judge")
    step_users: int = Field(default=10, ge=1, le=10_000)
    step_s: int = Field(default=10, ge=2, le=3600)


class StressCaps(Model):
    """Hard limits nobody exceeds by accident (a scenario over them is refused before anything is sent)."""

    max_users: int = Field(default=500, ge=1, le=100_000)
    max_rps: int = Field(default=1000, ge=1, le=1_000_000)
    max_duration_s: int = Field(default=900, ge=5, le=86_400)
    max_requests: int = Field(default=500_000, ge=1)


class StressSettings(Model):
    requests: tuple[StressRequest, ...] = Field(default=(), max_length=100)
    locustfile: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        pattern=r"\.py$",
        description="Your own locustfile (relative to the design file) instead of requests: its User classes "
        "run against the environment's endpoint, with the design's profile and caps",
    )
    rps_per_user: float = Field(default=2.0, gt=0, le=100, description="Each simulated user's request rate")
    profile: LoadProfile = LoadProfile()
    caps: StressCaps = StressCaps()

    @model_validator(mode="after")
    def _names_unique(self) -> StressSettings:
        names = [r.name for r in self.requests]
        if len(names) != len(set(names)):
            raise ValueError("stress request names must be unique")
        if self.requests and self.locustfile:
            raise ValueError("give requests or a locustfile, not both (a locustfile's tasks make the requests)")
        return self
