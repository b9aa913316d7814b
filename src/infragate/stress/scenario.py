"""The scenario a stress run follows: derived from the design (endpoints, ``stress:``, ``targets``) and the
options, checked against the caps and the environment's declared endpoints before anything is sent."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import cast

from pydantic import JsonValue
from typing_extensions import TypedDict  # pydantic reads it inside a model on Python 3.11

from infragate.design.model import EnvironmentDesign
from infragate.errors import UsageError
from infragate.infratest.scope import Scope
from infragate.model.stress import LoadProfile, StressSettings
from infragate.stress.userfile import UserLocustfile

WINDOW_S = 1.0  # the results' time resolution; stages and holds are whole seconds, so windows add up to them
HEADROOM = 1.1


class Pin(TypedDict):
    """Where the declared host's name resolves during the run (its own address, or the pinned one)."""

    host: str
    port: int
    address: str
    connect_port: int


class ScenarioRequest(TypedDict):
    """One request of the generated locustfile, picked by weight."""

    name: str
    method: str
    path: str
    headers: dict[str, str]
    body: str | None
    json: JsonValue
    weight: int


class LoadStage(TypedDict):
    """Until ``until`` seconds from the start, ``users`` users, started at ``spawn_rate`` per second."""

    until: float
    users: int
    spawn_rate: float


class ScenarioJson(TypedDict):
    """The scenario as the locustfile reads it (``scenario.json``) and as ``stress --plan`` shows it."""

    environment: str
    base_url: str
    pins: list[Pin]
    ca_bundle: str | None
    requests: list[ScenarioRequest]
    rps_per_user: float
    stages: list[LoadStage]
    hold: tuple[float, float]
    peak_rps: float
    peak_users: int
    profile: str
    window_s: float
    caps: dict[str, int]
    locustfile: str | None
    locustfile_sha256: str | None


@dataclass(frozen=True)
class Scenario:
    environment: str
    base_url: str
    pins: list[Pin]
    ca_bundle: str | None
    requests: list[ScenarioRequest]
    rps_per_user: float
    stages: list[LoadStage]
    hold: tuple[float, float]  # seconds from the start: the window the SLO verdicts judge
    peak_rps: float
    peak_users: int
    profile: str
    window_s: float = WINDOW_S
    caps: dict[str, int] = field(default_factory=dict)
    locustfile: str | None = None  # the user's own locustfile, whose User classes replace ``requests``
    locustfile_sha256: str | None = None  # its content: part of the plan a lead approves

    @property
    def duration_s(self) -> float:
        return self.stages[-1]["until"] if self.stages else 0.0

    def to_json(self) -> ScenarioJson:
        return cast("ScenarioJson", asdict(self))

    @property
    def digest(self) -> str:
        """What a lead approves for production: the target, the requests (or the locustfile's content), the load
        over time and the caps (not where this machine keeps the CA file or the locustfile)."""
        body = {k: v for k, v in asdict(self).items() if k not in ("ca_bundle", "locustfile")}
        return "sha256:" + hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def build(
    env: EnvironmentDesign,
    ca_bundle: Path | None,
    *,
    peak_rps: float | None = None,
    hold_s: int | None = None,
    ramp_s: int | None = None,
    profile: str | None = None,
    find_limit: bool = False,
    locustfile: UserLocustfile | None = None,
) -> Scenario:
    """The scenario of ``env``: its first endpoint, its requests (a GET of / by default, or ``locustfile``'s
    User classes), its profile; the peak load is the design's ``targets.peak_rps`` unless told otherwise."""
    settings = env.settings
    stress = settings.stress or StressSettings()
    targets = env.infrastructure.targets
    peak = peak_rps if peak_rps is not None else (targets.peak_rps if targets is not None else None)
    if not peak:
        raise UsageError(
            f"{env.name} has no peak_rps to stress at", hint="Add targets: {peak_rps: …} (or pass --peak-rps)."
        )
    if not settings.endpoints:
        raise UsageError(f"{env.name} declares no endpoint to stress", hint="Add endpoints: to the environment.")
    endpoint = settings.endpoints[0]
    scope = Scope.of(env.name, (endpoint,), frozenset(), embedded=settings.aws.embedded)
    destination = scope.destination(str(endpoint.url))  # refuses an unpinned endpoint on embedded AWS
    chosen = stress.profile.model_copy(
        update={k: v for k, v in {"hold_s": hold_s, "ramp_s": ramp_s, "kind": profile}.items() if v is not None}
    )
    chosen = LoadProfile.model_validate(chosen.model_dump())
    # Aim a tenth above the peak: users pace themselves (constant throughput) and scheduling jitter only ever
    # makes them late, so aiming exactly at peak_rps falls short of it.
    users = max(1, math.ceil(peak * HEADROOM / stress.rps_per_user))
    caps = stress.caps
    if find_limit:  # steps all the way to the caps; each step is judged on its own (limits.breaking_point)
        top = max(1, min(caps.max_users, math.floor(caps.max_rps / stress.rps_per_user)))
        stages, hold = _steps(chosen, top), (0.0, 0.0)
        peak = top * stress.rps_per_user
        chosen = chosen.model_copy(update={"kind": "step"})
    else:
        stages, hold = _stages(chosen, users)
    duration = stages[-1]["until"]
    problems = []
    if max(s["users"] for s in stages) > caps.max_users:
        problems.append(f"{int(max(s['users'] for s in stages))} users is over max_users {caps.max_users}")
    if peak > caps.max_rps:
        problems.append(f"{peak:g} requests/s is over max_rps {caps.max_rps}")
    if duration > caps.max_duration_s:
        problems.append(f"{duration:g} s is over max_duration_s {caps.max_duration_s}")
    if peak * duration > caps.max_requests:
        problems.append(f"up to {peak * duration:.0f} requests is over max_requests {caps.max_requests}")
    if problems:
        raise UsageError(
            f"the stress test of {env.name} exceeds its caps: {'; '.join(problems)}",
            hint="Lower the load or the duration, or raise stress.caps in the design (a reviewed change).",
        )
    requests = [] if locustfile is not None else _requests(stress)  # a locustfile's tasks make its requests
    pins: list[Pin] = []
    if destination.address is not None:
        pins.append(
            {
                "host": destination.host,
                "port": destination.port,
                "address": destination.address,
                "connect_port": destination.connect_port,
            }
        )
    else:
        pins.append(
            {
                "host": destination.host,
                "port": destination.port,
                "address": destination.host,
                "connect_port": destination.port,
            }
        )
    return Scenario(
        environment=env.name,
        base_url=str(endpoint.url).rstrip("/"),
        pins=pins,
        ca_bundle=str(ca_bundle) if ca_bundle else None,
        requests=requests,
        rps_per_user=stress.rps_per_user,
        stages=stages,
        hold=hold,
        peak_rps=float(peak),
        peak_users=users,
        profile=chosen.kind,
        caps=caps.model_dump(),
        locustfile=str(locustfile.path) if locustfile else None,
        locustfile_sha256=locustfile.sha256 if locustfile else None,
    )


def _requests(stress: StressSettings) -> list[ScenarioRequest]:
    """The scenario's requests as the generated locustfile reads them (a GET of / when none are declared)."""
    return [
        {
            "name": r.name,
            "method": r.method,
            "path": r.path,
            "headers": dict(r.headers),
            "body": r.body,
            "json": r.json_body,
            "weight": r.weight,
        }
        for r in stress.requests
    ] or [{"name": "GET /", "method": "GET", "path": "/", "headers": {}, "body": None, "json": None, "weight": 1}]


def _stages(profile: LoadProfile, peak_users: int) -> tuple[list[LoadStage], tuple[float, float]]:
    ramp, hold = float(profile.ramp_s), float(profile.hold_s)
    if profile.kind in ("ramp", "soak"):
        rate = max(peak_users / ramp, 1.0)
        return [
            {"until": ramp, "users": peak_users, "spawn_rate": rate},
            {"until": ramp + hold, "users": peak_users, "spawn_rate": rate},
        ], (ramp, ramp + hold)
    if profile.kind == "spike":
        base = max(1, peak_users // 4)
        return [
            {"until": ramp, "users": base, "spawn_rate": max(base / ramp, 1.0)},
            {"until": ramp + hold, "users": peak_users, "spawn_rate": float(peak_users)},
            {"until": ramp + hold + ramp, "users": base, "spawn_rate": float(peak_users)},
        ], (ramp, ramp + hold)
    # step: +step_users every step_s up to the peak, then hold the peak
    stages = _steps(profile, peak_users)
    until = stages[-1]["until"]
    stages.append({"until": until + hold, "users": peak_users, "spawn_rate": float(profile.step_users)})
    return stages, (until, until + hold)


def _steps(profile: LoadProfile, top_users: int) -> list[LoadStage]:
    stages: list[LoadStage] = []
    users, until = 0, 0.0
    while users < top_users:
        users = min(top_users, users + profile.step_users)
        until += profile.step_s
        stages.append({"until": until, "users": users, "spawn_rate": float(max(profile.step_users, 1))})
    return stages
