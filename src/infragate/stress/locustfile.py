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
import contextlib
import importlib.util
import json
import os
import random
import socket
import struct
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, TypeVar, cast

import gevent.socket
import gevent.ssl
from gevent import getcurrent
from geventhttpclient.connectionpool import ConnectionPool
from hdrh.histogram import HdrHistogram
from locust import FastHttpUser, LoadTestShape, User, constant_throughput, events, task
from locust import runners as locust_runners
from locust.runners import MasterRunner, WorkerRunner

if TYPE_CHECKING:  # for annotations only: this file imports nothing of infragate when it runs
    import ssl

    from locust.env import Environment
    from locust.stats import StatsEntry

    from infragate.stress.scenario import ScenarioJson

# A socket address as Python's socket functions take it: (host, port[, flowinfo, scope id]).
Address = tuple[object, ...]
AddressInfo = list[tuple[socket.AddressFamily, socket.SocketKind, int, str, Address]]

RAW = os.environ.get("INFRAGATE_STRESS_RAW") == "1"  # bench/stress.py: the same file without the recording
SCENARIO: ScenarioJson = json.loads(Path(os.environ["INFRAGATE_STRESS_SCENARIO"]).read_text())
LOWEST_US, HIGHEST_US, DIGITS = 1, 120_000_000, 3
WINDOW_S = float(SCENARIO["window_s"])
REQUESTS = SCENARIO["requests"]
WEIGHTS = [r["weight"] for r in REQUESTS]


# A distributed run on a busy machine: a worker handling its spawn message answers the master's heartbeat
# seconds late, and Locust drops it after 3 missed beats (locust issue 3043), ending the run with nothing sent.
# The master waits 15 beats before it gives a worker up (its runner reads this when it checks). One local
# worker needs no heartbeat at all: infragate runs it in Locust's single-process mode.
locust_runners.HEARTBEAT_LIVENESS = 15


def _histogram() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS)


# -- where connections go: the declared host only -----------------------------------------------------------
_original_getaddrinfo = gevent.socket.getaddrinfo
_PINS = {(pin["host"], int(pin["port"])): (pin["address"], int(pin["connect_port"])) for pin in SCENARIO["pins"]}
# The declared host, and the master's address (Locust's workers look it up before connecting to it).
_ALLOWED = {pin["host"] for pin in SCENARIO["pins"]} | {os.environ.get("INFRAGATE_STRESS_MASTER", "127.0.0.1")}


_RESOLVED: set[str] = set()  # the addresses the declared names resolved to: where connections may go


def _scoped_getaddrinfo(host: str | None, port: str | int | None, *args: int, **kwargs: int) -> AddressInfo:
    key = (str(host).lower(), int(port or 0))
    if key in _PINS:
        address, connect_port = _PINS[key]
        found = _original_getaddrinfo(address, connect_port, *args, **kwargs)
    elif str(host).lower() not in _ALLOWED:
        raise socket.gaierror(f"infragate: {host} is not a declared endpoint of this environment")
    else:
        found = _original_getaddrinfo(host, port, *args, **kwargs)
    _RESOLVED.update(str(sockaddr[0]) for *_, sockaddr in found)
    return cast("AddressInfo", found)


socket.getaddrinfo = _scoped_getaddrinfo  # type: ignore[assignment]  # typeshed's union of address families
gevent.socket.getaddrinfo = _scoped_getaddrinfo  # geventhttpclient resolves through gevent's module
_original_connect, _original_connect_ex = gevent.socket.socket.connect, gevent.socket.socket.connect_ex


def _reachable(sock: socket.socket, address: Address) -> None:
    """A connection only to an address a declared name resolved to here: a locustfile's own code that connects
    to an address (or a name, which gevent would resolve without the pins) it did not look up here is refused.
    Locust's own link to the master is ZeroMQ's, not a Python socket."""
    if sock.family in (socket.AF_INET, socket.AF_INET6) and str(address[0]).lower() not in _RESOLVED:
        raise ConnectionRefusedError(f"infragate: {address[0]} is not a declared endpoint of this environment")


def _guarded_connect(self: socket.socket, address: Address) -> None:
    _reachable(self, address)
    _original_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Address) -> int:
    _reachable(self, address)
    return int(_original_connect_ex(self, address))


if not RAW:  # once per connection, never per request
    gevent.socket.socket.connect = _guarded_connect
    gevent.socket.socket.connect_ex = _guarded_connect_ex


# -- the wire clock ---------------------------------------------------------------------------------------------
# Locust times a request from before geventhttpclient builds it to after Locust has handled the response: on
# a busy generator that adds milliseconds of client-side Python to every figure (bench/stress.py shows
# Locust's own p50 several ms above what the server took). infragate times each request on the wire instead:
# from its first connect or send to the arrival of its last bytes, per greenlet (a user runs one request at a
# time). On plain connections the arrival is the kernel's receive timestamp (SO_TIMESTAMPNS), not the moment
# the event loop got round to this greenlet, which on a busy generator is a fraction of a millisecond later;
# over TLS the bytes pass through OpenSSL first, so it is the time they were read. Both clocks are the wall
# clock (CLOCK_REALTIME), the kernel's clock for these timestamps.
WIRE_BEGAN: dict[object, float] = {}  # by greenlet
# The arrival: a time, or a plain connection's ancillary data, which the request listener reads once per request.
WIRE_ENDED: dict[object, float | list[tuple[int, int, bytes]]] = {}
# Linux's value (Python's socket module does not name it); elsewhere 35 may be another option: none is set.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35) if sys.platform.startswith("linux") else None
TIMESPEC = struct.Struct("@qq")  # struct timespec: seconds, nanoseconds
ANCILLARY = socket.CMSG_SPACE(TIMESPEC.size)


def _arrival(ancillary: list[tuple[int, int, bytes]]) -> float:
    """The kernel's receive timestamp among ``ancillary`` data (a read with no ancillary data at all stored its
    own time instead), or now when another kind of data came without it."""
    for level, kind, payload in ancillary:
        if kind == SO_TIMESTAMPNS and level == socket.SOL_SOCKET:
            seconds, nanos = TIMESPEC.unpack(payload)
            return float(seconds + nanos / 1e9)
    return time.time()


class _WireClock:
    """Notes when this greenlet's request first touches the wire and when its last bytes arrived (mixed into
    the TLS socket class, before it)."""

    __slots__ = ()  # gevent's sockets have slots: no instance dictionary to make or search

    def sendall(self, data: bytes, flags: int = 0) -> None:
        WIRE_BEGAN.setdefault(getcurrent(), time.time())
        super().sendall(data, flags)  # type: ignore[misc]

    def recv(self, *args: int) -> bytes:
        data: bytes = super().recv(*args)  # type: ignore[misc]
        if data:  # the end of the stream is not the arrival of the last bytes
            WIRE_ENDED[getcurrent()] = time.time()
        return data


_PLAIN_SENDALL = gevent.socket.socket.sendall


class _TimedSocket(gevent.socket.socket):  # type: ignore[misc]
    """A plain connection: its connect starts the clock too (a new connection is part of the request), and its
    reads carry the kernel's receive timestamp.

    Every read and write of the generator passes through here, so both stay as cheap as gevent's own: the
    read is gevent's recv loop written out with recvmsg, and the timestamp is kept as the kernel sent it, for
    the request listener to read once. Counted with Valgrind (a request that waits for its response, about
    495,000 instructions raw), an override that called gevent's recvmsg added about 16,000 instructions per
    request and this one about 2,000. Our reading of why: a call through ``*args`` nests the interpreter in C,
    and greenlet copies the deeper C stack at each switch while the read waits."""

    __slots__ = ()

    def connect(self, address: Address) -> None:
        WIRE_BEGAN.setdefault(getcurrent(), time.time())
        super().connect(address)

    def sendall(self, data: bytes, flags: int = 0) -> None:
        WIRE_BEGAN.setdefault(getcurrent(), time.time())
        _PLAIN_SENDALL(self, data, flags)

    def recv(self, size: int, flags: int = 0) -> bytes:
        while True:
            try:
                data, ancillary, _, _ = self._sock.recvmsg(size, ANCILLARY, flags)
                break
            except BlockingIOError:
                if self.timeout == 0.0:
                    raise
            self._wait(self._read_event)  # gevent's wait: the hub, a timeout, or a closed socket
        if data:  # the end of the stream is not the arrival of the last bytes
            WIRE_ENDED[getcurrent()] = ancillary or time.time()  # no timestamp: the time of the read
        return data


class _TimedTLSSocket(_WireClock, gevent.ssl.SSLSocket):  # type: ignore[misc]
    """The same over TLS (the handshake is timed from the plain connection's connect)."""


def _timed_tcp_socket(_pool: ConnectionPool, family: int, socktype: int, protocol: int) -> _TimedSocket:
    connection = _TimedSocket(family, socktype, protocol)
    if SO_TIMESTAMPNS is not None:
        with contextlib.suppress(OSError):  # a kernel without receive timestamps: the read time it is
            connection.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    return connection


if not RAW:
    # geventhttpclient's documented place to make connections ("might be overridden"), for every pool.
    ConnectionPool._create_tcp_socket = _timed_tcp_socket  # type: ignore[method-assign,assignment]


# -- recording ----------------------------------------------------------------------------------------------
class WorkerReport(TypedDict):
    """What a worker sends its master each report: (window, name, HdrHistogram encoded, errors, unanswered,
    total µs)."""

    cells: list[tuple[int, str, str, int, int, int]]


class Capped(TypedDict):
    """The cap the load went over (stress/results.py reads it)."""

    cap: str
    measured: float
    limit: float


HOLD_FROM, HOLD_TO = (float(x) for x in SCENARIO["hold"])
STAGE_ENDS = [float(stage["until"]) for stage in SCENARIO["stages"]]


LAST_STAGE = len(STAGE_ENDS) - 1


def _stage_of(offset: float) -> int:
    return min(bisect.bisect_right(STAGE_ENDS, offset), LAST_STAGE)


class Cell:
    """Response times (an HdrHistogram), errors (``unanswered``: those that got no HTTP response at all), and
    the exact sum of the times: the histogram's own mean
    walks every bucket in Python (~45 ms), which the master would pay for every window every 5 seconds."""

    __slots__ = ("errors", "histogram", "total_us", "unanswered")

    def __init__(
        self, histogram: HdrHistogram | None = None, errors: int = 0, total_us: int = 0, unanswered: int = 0
    ) -> None:
        self.histogram = histogram if histogram is not None else _histogram()
        self.errors, self.total_us, self.unanswered = errors, total_us, unanswered

    def add(self, other: Cell) -> None:
        self.histogram.add(other.histogram)
        self.errors += other.errors
        self.unanswered += other.unanswered
        self.total_us += other.total_us

    @property
    def count(self) -> int:
        return int(self.histogram.get_total_count())


Key = TypeVar("Key")


def _cell(table: dict[Key, Cell], key: Key) -> Cell:
    """The cell of ``key``, made on first use only (a histogram costs ~0.1 ms to make: never build one per
    request, as ``dict.setdefault`` with a fresh default would)."""
    found = table.get(key)
    if found is None:
        found = table[key] = Cell()
    return found


class Batch:
    """The response times of one (time window, request name) since the last report, as they came. Appending
    to a list costs a tenth of an HdrHistogram recording, which walks several Python calls per value: the
    generator is what a stress test measures, so each request pays for the append only, and the batch
    becomes a histogram when it is reported (every few seconds, one recording per distinct value)."""

    __slots__ = ("errors", "times", "unanswered")

    def __init__(self) -> None:
        self.times: list[int] = []
        self.errors = self.unanswered = 0

    def cell(self) -> Cell:
        histogram = _histogram()
        for micros, count in Counter(self.times).items():
            histogram.record_value(micros if micros < HIGHEST_US else HIGHEST_US, count)
        return Cell(histogram, self.errors, sum(self.times), self.unanswered)


class Recorder:
    """Response times, appended once per request to a batch by (time window, request name) (``_on_request``
    does it inline: it runs for every request), turned into HdrHistograms when reported, and added up by the
    process that writes the results: by name, by time window (seconds since this process saw the test start;
    the master and its workers start within milliseconds of each other), and by stage and name (growth with
    load). Windows are whole seconds and so are stages, so a window lies in one stage."""

    def __init__(self) -> None:
        self.pending: dict[tuple[int, str], Batch] = {}  # (window, name) -> recorded, not yet added up
        self.names: dict[str, Cell] = {}
        self.windows: dict[int, Cell] = {}  # by window index
        self.stages: dict[tuple[int, str], Cell] = {}  # by (stage, name)
        self.total = 0  # requests added up so far

    def export(self) -> WorkerReport:
        """The recordings since the last report, encoded for the master (each report is a delta)."""
        cells = [
            (w, n, base64.b64encode(c.histogram.encode()).decode(), c.errors, c.unanswered, c.total_us)
            for (w, n), c in self._take().items()
        ]
        return {"cells": cells}

    def _take(self) -> dict[tuple[int, str], Cell]:
        """What was recorded since the last call, as cells (the batches become HdrHistograms here)."""
        pending, self.pending = self.pending, {}
        return {key: batch.cell() for key, batch in pending.items()}

    def merge(self, data: WorkerReport) -> None:
        """Master: add a worker's report up."""
        for window, name, encoded, errors, unanswered, total_us in data.get("cells", []):
            histogram = HdrHistogram.decode(base64.b64decode(encoded))
            self._add_up(window, name, Cell(histogram, errors, total_us, unanswered))

    def fold(self) -> None:
        """Add up what this process recorded itself (a run without workers)."""
        for (window, name), cell in self._take().items():
            self._add_up(window, name, cell)

    def _add_up(self, window: int, name: str, cell: Cell) -> None:
        _cell(self.names, name).add(cell)
        _cell(self.windows, window).add(cell)
        _cell(self.stages, (_stage_of(window * WINDOW_S), name)).add(cell)
        self.total += cell.count
        if STATE.capped is None:
            over = _over_caps(self.windows[window].count / WINDOW_S, self.total)
            if over is not None:
                STATE.capped = over  # the master's watch stops the run within a second


# The caps, at run time too: the plan's load stays under them by construction (users x each user's pace), but a
# locustfile's tasks may make more requests than their users' pace says. A 1-second window may run a quarter
# over max_rps (pacing catches up after a stall) before the run is stopped; max_requests is exact.
CAPS: dict[str, int] = SCENARIO.get("caps") or {}
RATE_TOLERANCE = 1.25


def _over_caps(rate: float, total: int) -> Capped | None:
    """The cap this load breaks (the first), as the results report it; None within the caps."""
    max_rps, max_requests = CAPS.get("max_rps"), CAPS.get("max_requests")
    if max_requests is not None and total > max_requests:
        return {"cap": "max_requests", "measured": total, "limit": max_requests}
    if max_rps is not None and rate > RATE_TOLERANCE * max_rps:
        return {"cap": "max_rps", "measured": rate, "limit": max_rps}
    return None


RECORDER = Recorder()
USERS: dict[int, int] = {}  # window index -> the users running then (master)


class State:
    """This process's run: when the test started, the cap the load went over (which stops it), the master's
    watch's ticks."""

    def __init__(self) -> None:
        self.started: float | None = None
        self.capped: Capped | None = None
        self.stopping = False
        self.ticks = 0


STATE = State()
PARTIAL_EVERY = 5  # seconds between the partial results the master keeps
STARTED = [time.time()]  # this process's test start (read on every request: a list, not a dict lookup)


def _on_request(
    request_type: str,
    name: str,
    response_time: float,
    response_length: int,
    exception: BaseException | None,
    start_time: float,
    context: object = None,
    response: object = None,
    url: object = None,
    **_: object,
) -> None:
    """Locust's request event: record the request's time on the wire into its (time window, name) batch.
    Every parameter Locust passes is named, so the call builds no dictionary for the rest; this runs for every
    request in the generator, and bench/stress.py measures it against raw Locust."""
    me = getcurrent()
    began, ended = WIRE_BEGAN.pop(me, None), WIRE_ENDED.pop(me, None)
    if isinstance(ended, list):  # a plain connection's ancillary data: the kernel's receive timestamp
        ended = _arrival(ended)
    if began is not None and ended is not None and ended > began:
        micros = int((ended - began) * 1_000_000 + 0.5) or 1  # on the wire: what the server and network took
    else:
        micros = int(response_time * 1000 + 0.5) or 1  # nothing reached the wire (e.g. refused): Locust's time
    key = (int((start_time - STARTED[0]) // WINDOW_S), name)
    batch = RECORDER.pending.get(key)
    if batch is None:
        batch = RECORDER.pending[key] = Batch()
    batch.times.append(micros)
    if exception is not None:
        batch.errors += 1
        if not getattr(response, "status_code", 0):  # no HTTP response at all: refused, reset, timed out
            batch.unanswered += 1


def _to_master(client_id: str, data: dict[str, object]) -> None:
    data["infragate"] = RECORDER.export()


def _from_worker(client_id: str, data: dict[str, object]) -> None:
    RECORDER.merge(cast("WorkerReport", data.get("infragate") or {"cells": []}))


if not RAW:
    events.request.add_listener(_on_request)
    events.report_to_master.add_listener(_to_master)
    events.worker_report.add_listener(_from_worker)


@events.init.add_listener
def _on_init(environment: Environment, **_: object) -> None:
    if isinstance(environment.runner, MasterRunner) or not isinstance(environment.runner, WorkerRunner):
        import gevent

        gevent.spawn(_watch, environment)


@events.test_start.add_listener
def _on_start(environment: Environment, **_: object) -> None:
    STATE.started = STATE.started or time.time()
    STARTED[0] = STATE.started


PERCENTILES = (("p50", 50.0), ("p90", 90.0), ("p95", 95.0), ("p99", 99.0), ("p99_9", 99.9))


def _percentiles(cell: Cell) -> dict[str, float]:
    count = cell.count
    if count == 0:
        return {}
    values = cell.histogram.get_percentile_to_value_dict([q for _, q in PERCENTILES])  # one pass over buckets
    return {
        **{key: values[q] / 1000 for key, q in PERCENTILES},
        "max": cell.histogram.get_max_value() / 1000,
        "mean": cell.total_us / count / 1000,
    }


def _watch(environment: Environment) -> None:
    """Master: note the users each window, and write the progress file every second."""
    import gevent

    progress = os.environ.get("INFRAGATE_STRESS_PROGRESS")
    while True:
        now = time.time()
        runner = environment.runner
        USERS[int((now - (STATE.started or now)) // WINDOW_S)] = runner.user_count if runner else 0
        if progress:
            stats = environment.stats.total
            document = {
                "elapsed": now - (STATE.started or now),
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
        if STATE.capped is not None and not STATE.stopping and runner is not None:
            STATE.stopping = True  # over a cap: stop every worker now; the results say why
            gevent.spawn(runner.quit)
        STATE.ticks += 1
        if STATE.ticks % PARTIAL_EVERY == 0:  # what an interrupted run keeps, even if Locust never says goodbye
            _results(environment, os.environ["INFRAGATE_STRESS_RESULTS"] + ".partial")
        gevent.sleep(1.0)


@events.quitting.add_listener
def _write_results(environment: Environment, **_: object) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return
    _results(environment, os.environ["INFRAGATE_STRESS_RESULTS"])


def _results(environment: Environment, path: str) -> None:
    """Write what has been measured so far to ``path`` (atomically)."""
    started = STATE.started or time.time()
    RECORDER.fold()
    overall = Cell()
    names = {}
    for name, cell in sorted(RECORDER.names.items()):
        overall.add(cell)
        locust_stats = _locust_entry(environment, name)
        names[name] = {
            "count": cell.count,
            "errors": cell.errors,
            **_percentiles(cell),
            "locust": _locust_percentiles(locust_stats),
        }
    windows = [
        {
            "start": index * WINDOW_S,
            "count": cell.count,
            "errors": cell.errors,
            "rps": cell.count / WINDOW_S,
            "users": USERS.get(index, 0),
            **_percentiles(cell),
        }
        for index, cell in sorted(RECORDER.windows.items())
    ]
    hold = _between(HOLD_FROM, HOLD_TO)
    stages = []
    for index, stage in enumerate(SCENARIO["stages"]):
        begin = STAGE_ENDS[index - 1] if index else 0.0
        cell = _between(begin, STAGE_ENDS[index])
        stages.append(
            {
                "index": index,
                "from": begin,
                "to": STAGE_ENDS[index],
                "users": stage["users"],
                "count": cell.count,
                "errors": cell.errors,
                **_percentiles(cell),
                "names": {name: _percentiles(c) for (at, name), c in RECORDER.stages.items() if at == index},
            }
        )
    quantiles = [0, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 97.5, 99, 99.5, 99.9, 100]
    spread = overall.histogram.get_percentile_to_value_dict(quantiles) if overall.count else {}
    spectrum = [[q, spread[q] / 1000] for q in quantiles if q in spread]
    total = environment.stats.total
    document = {
        "started_at": started,
        "duration_s": time.time() - started,
        "window_s": WINDOW_S,
        "overall": {
            "count": overall.count,
            "errors": overall.errors,
            "unanswered": overall.unanswered,
            **_percentiles(overall),
        },
        "hold": {
            "from": HOLD_FROM,
            "to": HOLD_TO,
            "count": hold.count,
            "errors": hold.errors,
            "unanswered": hold.unanswered,
            **_percentiles(hold),
        },
        "locust_overall": {"count": total.num_requests, "errors": total.num_failures, **_locust_percentiles(total)},
        "names": names,
        "windows": windows,
        "stages": stages,
        "spectrum": spectrum,
        "capped": STATE.capped,
    }
    temporary = Path(path + ".tmp")
    temporary.write_text(json.dumps(document))
    temporary.replace(path)


def _between(begin: float, end: float) -> Cell:
    """The windows from ``begin`` to ``end`` seconds (whole seconds: windows are 1 s) added up."""
    total = Cell()
    for index, cell in RECORDER.windows.items():
        if begin <= index * WINDOW_S and (index + 1) * WINDOW_S <= end:
            total.add(cell)
    return total


def _locust_entry(environment: Environment, name: str) -> StatsEntry | None:
    """Locust's statistics of a request name (whatever its method: a locustfile's names are its own)."""
    return next((entry for (n, _), entry in environment.stats.entries.items() if n == name), None)


def _locust_percentiles(stats: StatsEntry | None) -> dict[str, float]:
    if stats is None or not stats.num_requests:
        return {}
    return {key: stats.get_response_time_percentile(q) for key, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))}


# -- the load -------------------------------------------------------------------------------------------------
def _adopt_user_classes(path: str) -> None:
    """The user's locustfile: its User classes become this file's (Locust runs the classes a locustfile
    holds), aimed at the environment's endpoint with the environment's trust; its load shape, if any, is
    not (infragate refused one before starting), so the load stays the design's."""
    spec = importlib.util.spec_from_file_location("infragate_user_locustfile", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    for name, value in vars(module).items():
        if isinstance(value, type) and issubclass(value, User) and not value.abstract:
            value.host = SCENARIO["base_url"]
            if issubclass(value, FastHttpUser):
                value.insecure = False
                value.ssl_context_factory = staticmethod(_tls_context)
            globals()[name] = value


class ScenarioShape(LoadTestShape):
    """The scenario's stages: (until second, users, spawn rate); stops after the last."""

    stages = SCENARIO["stages"]

    def tick(self) -> tuple[int, float] | None:
        elapsed = self.get_run_time()
        for stage in self.stages:
            if elapsed < stage["until"]:
                return int(stage["users"]), float(stage["spawn_rate"])
        return None


def _tls_context() -> ssl.SSLContext:
    """Verification against the system's trust store, plus the environment's CA bundle when it has one."""
    context = gevent.ssl.create_default_context(cafile=SCENARIO.get("ca_bundle") or None)
    if not RAW:
        context.sslsocket_class = _TimedTLSSocket
    return context


if user_locustfile := SCENARIO.get("locustfile"):
    _adopt_user_classes(user_locustfile)
else:

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
            body, document = request["body"], request["json"]
            self.client.request(
                request["method"],
                request["path"],
                name=request["name"],
                headers=request["headers"],
                json=document,
                # bytes, sent as they are (Locust's annotation says str)
                data=body.encode() if document is None and body is not None else None,  # type: ignore[arg-type]
            )
