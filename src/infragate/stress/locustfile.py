"""The locustfile infragate runs (in Locust's own processes, never imported by infragate: Locust patches the
standard library with gevent). Its scenario comes from the JSON file INFRAGATE_STRESS_SCENARIO names.

- Every response time is recorded in an HdrHistogram (microseconds, 3 significant digits), per request name,
  overall and per time window. Workers ship their histograms to the master with Locust's worker-report event
  (deltas, each report), and the master merges them and writes the results when it quits.
- Requests go only to the scenario's declared host: a pinned host resolves to its pin, and any other name
  fails to resolve here, so nothing is sent anywhere else even by a redirect.
- The load follows the scenario's stages (a LoadTestShape); each user aims at a fixed request rate.
"""

from __future__ import annotations

import base64
import bisect
import json
import os
import random
import socket
import time
from pathlib import Path
from typing import Any

import gevent.socket
import gevent.ssl
from hdrh.histogram import HdrHistogram
from locust import FastHttpUser, LoadTestShape, constant_throughput, events, task
from locust.runners import MasterRunner, WorkerRunner

SCENARIO: dict[str, Any] = json.loads(Path(os.environ["INFRAGATE_STRESS_SCENARIO"]).read_text())
LOWEST_US, HIGHEST_US, DIGITS = 1, 120_000_000, 3
WINDOW_S = float(SCENARIO["window_s"])
REQUESTS = SCENARIO["requests"]
WEIGHTS = [r["weight"] for r in REQUESTS]


def _histogram() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS)


# -- where connections go: the declared host only -----------------------------------------------------------
_original_getaddrinfo = gevent.socket.getaddrinfo
_PINS = {(pin["host"], int(pin["port"])): (pin["address"], int(pin["connect_port"])) for pin in SCENARIO["pins"]}
# The declared host, and the master's address (Locust's workers look it up before connecting to it).
_ALLOWED = {pin["host"] for pin in SCENARIO["pins"]} | {os.environ.get("INFRAGATE_STRESS_MASTER", "127.0.0.1")}


def _scoped_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
    key = (str(host).lower(), int(port or 0))
    if key in _PINS:
        address, connect_port = _PINS[key]
        return _original_getaddrinfo(address, connect_port, *args, **kwargs)
    if str(host).lower() not in _ALLOWED:
        raise socket.gaierror(f"infragate: {host} is not a declared endpoint of this environment")
    return _original_getaddrinfo(host, port, *args, **kwargs)


socket.getaddrinfo = _scoped_getaddrinfo
gevent.socket.getaddrinfo = _scoped_getaddrinfo  # geventhttpclient resolves through gevent's module


# -- recording ----------------------------------------------------------------------------------------------
HOLD_FROM, HOLD_TO = (float(x) for x in SCENARIO["hold"])
STAGE_ENDS = [float(stage["until"]) for stage in SCENARIO["stages"]]


LAST_STAGE = len(STAGE_ENDS) - 1


def _stage_of(offset: float) -> int:
    return min(bisect.bisect_right(STAGE_ENDS, offset), LAST_STAGE)


def _entry(table: dict[Any, list[Any]], key: Any) -> list[Any]:
    """The [histogram, errors] of ``key``, made on first use only (a histogram costs ~0.1 ms to make: never
    build one per request, as ``dict.setdefault`` with a fresh default would)."""
    found = table.get(key)
    if found is None:
        found = table[key] = [_histogram(), 0]
    return found


class Recorder:
    """Response times by request name, by time window (seconds since this process saw the test start: the
    master and its workers start within milliseconds of each other) and during the hold the SLOs judge."""

    def __init__(self) -> None:
        self.names: dict[str, list[Any]] = {}  # name -> [histogram, errors]
        self.windows: dict[int, list[Any]] = {}  # window index -> [histogram, errors]
        self.stages: dict[tuple[int, str], list[Any]] = {}  # (stage, name) -> [histogram, errors]

    def record(self, name: str, micros: int, failed: bool, started_at: float) -> None:
        # Three recordings a request (about 4 µs): by name, by 1-second window (stages and the hold are whole
        # seconds, so the master adds windows up for them), and by stage and name (growth with load). This
        # runs for every request in the generator: kept lean on purpose (bench/stress.py measures it).
        if micros > HIGHEST_US:
            micros = HIGHEST_US
        offset = started_at - STARTED[0]
        tables: tuple[tuple[dict[Any, list[Any]], Any], ...] = (
            (self.names, name),
            (self.windows, int(offset // WINDOW_S)),
            (self.stages, (_stage_of(offset), name)),
        )
        for table, key in tables:
            entry = table.get(key)
            if entry is None:
                entry = table[key] = [_histogram(), 0]
            entry[0].record_value(micros)
            if failed:
                entry[1] += 1

    def export(self) -> dict[str, Any]:
        """The recordings so far, encoded for the master; then start afresh (each report is a delta)."""
        data = {
            "names": {n: [base64.b64encode(h.encode()).decode(), e] for n, (h, e) in self.names.items()},
            "windows": {str(w): [base64.b64encode(h.encode()).decode(), e] for w, (h, e) in self.windows.items()},
            "stages": {
                f"{k[0]}/{k[1]}": [base64.b64encode(h.encode()).decode(), e] for k, (h, e) in self.stages.items()
            },
        }
        self.names, self.windows, self.stages = {}, {}, {}
        return data

    def merge(self, data: dict[str, Any]) -> None:
        for name, (encoded, errors) in data.get("names", {}).items():
            entry = _entry(self.names, name)
            entry[0].decode_and_add(base64.b64decode(encoded))
            entry[1] += errors
        for window, (encoded, errors) in data.get("windows", {}).items():
            entry = _entry(self.windows, int(window))
            entry[0].decode_and_add(base64.b64decode(encoded))
            entry[1] += errors
        for key, (encoded, errors) in data.get("stages", {}).items():
            stage, _, name = key.partition("/")
            entry = _entry(self.stages, (int(stage), name))
            entry[0].decode_and_add(base64.b64decode(encoded))
            entry[1] += errors


RECORDER = Recorder()
USERS: dict[int, int] = {}  # window index -> the users running then (master)
STATE: dict[str, Any] = {"runner": None, "started": None}
PARTIAL_EVERY = 5  # seconds between the partial results the master keeps
STARTED = [time.time()]  # this process's test start (read on every request: a list, not a dict lookup)


RAW = os.environ.get("INFRAGATE_STRESS_RAW") == "1"  # bench/stress.py: the same file without the recording


def _on_request(name: str, response_time: float, exception: Any, start_time: float, **_: Any) -> None:
    RECORDER.record(name, int(response_time * 1000 + 0.5) or 1, exception is not None, start_time)


def _to_master(client_id: str, data: dict[str, Any]) -> None:
    data["infragate"] = RECORDER.export()


def _from_worker(client_id: str, data: dict[str, Any]) -> None:
    RECORDER.merge(data.get("infragate", {}))


if not RAW:
    events.request.add_listener(_on_request)
    events.report_to_master.add_listener(_to_master)
    events.worker_report.add_listener(_from_worker)


@events.init.add_listener
def _on_init(environment: Any, **_: Any) -> None:
    STATE["runner"] = environment.runner
    if isinstance(environment.runner, MasterRunner) or not isinstance(environment.runner, WorkerRunner):
        import gevent

        gevent.spawn(_watch, environment)


@events.test_start.add_listener
def _on_start(environment: Any, **_: Any) -> None:
    STATE["started"] = STATE["started"] or time.time()
    STARTED[0] = STATE["started"]


def _percentiles(histogram: HdrHistogram) -> dict[str, float]:
    if histogram.get_total_count() == 0:
        return {}
    at = histogram.get_value_at_percentile
    return {
        "p50": at(50) / 1000,
        "p90": at(90) / 1000,
        "p95": at(95) / 1000,
        "p99": at(99) / 1000,
        "p99_9": at(99.9) / 1000,
        "max": histogram.get_max_value() / 1000,
        "mean": histogram.get_mean_value() / 1000,
    }


def _watch(environment: Any) -> None:
    """Master: note the users each window, and write the progress file every second."""
    import gevent

    progress = os.environ.get("INFRAGATE_STRESS_PROGRESS")
    while True:
        now = time.time()
        runner = environment.runner
        USERS[int((now - (STATE["started"] or now)) // WINDOW_S)] = runner.user_count if runner else 0
        if progress:
            stats = environment.stats.total
            document = {
                "elapsed": now - (STATE["started"] or now),
                "users": runner.user_count if runner else 0,
                "rps": stats.current_rps,
                "p95": stats.get_current_response_time_percentile(0.95) or 0,
                "requests": stats.num_requests,
                "failures": stats.num_failures,
                "workers": getattr(runner, "worker_count", 0),
            }
            temporary = Path(progress + ".tmp")
            temporary.write_text(json.dumps(document))
            temporary.replace(progress)
        ticks = STATE["ticks"] = STATE.get("ticks", 0) + 1
        if ticks % PARTIAL_EVERY == 0:  # what an interrupted run keeps, even if Locust never says goodbye
            _results(environment, os.environ["INFRAGATE_STRESS_RESULTS"] + ".partial")
        gevent.sleep(1.0)


@events.quitting.add_listener
def _write_results(environment: Any, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return
    _results(environment, os.environ["INFRAGATE_STRESS_RESULTS"])


def _results(environment: Any, path: str) -> None:
    """Write what has been measured so far to ``path`` (atomically)."""
    started = STATE["started"] or time.time()
    overall = _histogram()
    errors = 0
    names = {}
    for name, (histogram, failed) in sorted(RECORDER.names.items()):
        overall.add(histogram)
        errors += failed
        locust_stats = environment.stats.entries.get((name, _method(name)))
        names[name] = {
            "count": histogram.get_total_count(),
            "errors": failed,
            **_percentiles(histogram),
            "locust": _locust_percentiles(locust_stats),
        }
    windows = []
    for index in sorted(RECORDER.windows):
        histogram, failed = RECORDER.windows[index]
        count = histogram.get_total_count()
        windows.append(
            {
                "start": index * WINDOW_S,
                "count": count,
                "errors": failed,
                "rps": count / WINDOW_S,
                "users": USERS.get(index, 0),
                **_percentiles(histogram),
            }
        )
    hold, hold_errors = _between(HOLD_FROM, HOLD_TO)
    stages = []
    for index, stage in enumerate(SCENARIO["stages"]):
        begin = STAGE_ENDS[index - 1] if index else 0.0
        histogram, failed = _between(begin, STAGE_ENDS[index])
        stages.append(
            {
                "index": index,
                "from": begin,
                "to": STAGE_ENDS[index],
                "users": stage["users"],
                "count": histogram.get_total_count(),
                "errors": failed,
                **_percentiles(histogram),
                "names": {name: _percentiles(h) for (at, name), (h, _e) in RECORDER.stages.items() if at == index},
            }
        )
    spectrum = (
        [
            [q, overall.get_value_at_percentile(q) / 1000]
            for q in (0, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 97.5, 99, 99.5, 99.9, 100)
        ]
        if overall.get_total_count()
        else []
    )
    total = environment.stats.total
    document = {
        "started_at": started,
        "duration_s": time.time() - started,
        "window_s": WINDOW_S,
        "overall": {"count": overall.get_total_count(), "errors": errors, **_percentiles(overall)},
        "hold": {
            "from": HOLD_FROM,
            "to": HOLD_TO,
            "count": hold.get_total_count(),
            "errors": hold_errors,
            **_percentiles(hold),
        },
        "locust_overall": {"count": total.num_requests, "errors": total.num_failures, **_locust_percentiles(total)},
        "names": names,
        "windows": windows,
        "stages": stages,
        "spectrum": spectrum,
    }
    temporary = Path(path + ".tmp")
    temporary.write_text(json.dumps(document))
    temporary.replace(path)


def _between(begin: float, end: float) -> tuple[Any, int]:
    """The windows from ``begin`` to ``end`` seconds (whole seconds: windows are 1 s) added up."""
    histogram, errors = _histogram(), 0
    for index, (window, failed) in RECORDER.windows.items():
        if begin <= index * WINDOW_S and (index + 1) * WINDOW_S <= end:
            histogram.add(window)
            errors += failed
    return histogram, errors


def _method(name: str) -> str:
    return next((r["method"] for r in REQUESTS if r["name"] == name), "GET")


def _locust_percentiles(stats: Any) -> dict[str, float]:
    if stats is None or not stats.num_requests:
        return {}
    return {key: stats.get_response_time_percentile(q) for key, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))}


# -- the load -------------------------------------------------------------------------------------------------
class ScenarioShape(LoadTestShape):
    """The scenario's stages: (until second, users, spawn rate); stops after the last."""

    stages = SCENARIO["stages"]

    def tick(self) -> tuple[int, float] | None:
        elapsed = self.get_run_time()
        for stage in self.stages:
            if elapsed < stage["until"]:
                return int(stage["users"]), float(stage["spawn_rate"])
        return None


def _tls_context() -> Any:
    """Verification against the system's trust store, plus the environment's CA bundle when it has one."""
    return gevent.ssl.create_default_context(cafile=SCENARIO.get("ca_bundle") or None)


class ScenarioUser(FastHttpUser):
    """geventhttpclient (Locust's FastHttpUser): a fraction of requests' CPU per request, so the generator
    adds little to the latency it measures."""

    host = SCENARIO["base_url"]
    wait_time = constant_throughput(float(SCENARIO["rps_per_user"]))
    insecure = False
    ssl_context_factory = staticmethod(_tls_context)
    max_redirects = 0
    network_timeout = 30.0
    connection_timeout = 10.0

    @task
    def scenario(self) -> None:
        request = random.choices(REQUESTS, weights=WEIGHTS)[0]
        kwargs: dict[str, Any] = {"headers": request.get("headers") or {}, "name": request["name"]}
        if request.get("json") is not None:
            kwargs["json"] = request["json"]
        elif request.get("body") is not None:
            kwargs["data"] = request["body"].encode()
        self.client.request(request["method"], request["path"], **kwargs)
