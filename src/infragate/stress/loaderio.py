"""Loader.io (the service the policy's "LoadBalancer.IO" most likely means), through its API v2 with httpx.

Loader.io sends the load from its own servers, so it can only reach public endpoints, and only once the
domain is verified: Loader.io gives a token (``loaderio-<app id>``) that the domain must serve at
``/loaderio-<app id>/`` (or as a DNS TXT record) before it will load it. Its results are counts and an
average response time: no percentiles, so p95 and p99 cannot be judged from a Loader.io run (they are "not
evaluated", never passed)."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any, TypedDict, cast

import httpx

from infragate.errors import ServiceError, UsageError
from infragate.json_values import JsonObject
from infragate.stress.results import Hold, Measure, StressResults

if TYPE_CHECKING:
    from infragate.stress.scenario import Scenario

API = "https://api.loader.io/v2"
RETRIES = 4  # on 429, honouring Retry-After
POLL_S = 2.0


class LoaderIoError(ServiceError):
    code = "loaderio"


class App(TypedDict):
    """A registered target domain (``GET /v2/apps``)."""

    app: str
    app_id: str
    status: str  # verified or unverified


class TestResult(TypedDict, total=False):
    """``GET /v2/tests/:test_id/results/:result_id`` (service-apis.md §2.5), with the test's id."""

    test_id: str
    status: str  # ready or not_ready
    success: int
    error: int
    timeout_error: int
    network_error: int
    avg_response_time: float  # ms
    public_results_url: str


class LoaderIo:
    def __init__(self, api_key: str, base_url: str = API, timeout: float = 30.0) -> None:
        if not api_key.strip():
            raise UsageError(
                "Loader.io needs an API key", hint="Set INFRAGATE_LOADERIO_KEY (Loader.io: Settings, API)."
            )
        self.base = base_url.rstrip("/")
        self.http = httpx.Client(timeout=timeout, headers={"loaderio-auth": api_key}, trust_env=False)

    def call(self, method: str, path: str, json: JsonObject | None = None) -> Any:  # read as a documented TypedDict
        """One API call: retried on 429 (Retry-After), errors ({"message": "error", "errors": [...]}) raised."""
        return _checked(self._send(method, path, json))

    def pages(self, path: str) -> list[App]:
        """Every app, following ``Link: <…>; rel="next"`` pages."""
        items: list[App] = []
        url: str | None = path
        while url:
            response = self._send("GET", url)
            items += cast("list[App]", _checked(response))
            found = re.search(r'<([^>]+)>;\s*rel="?next"?', response.headers.get("link", ""))
            url = found[1] if found else None
        return items

    def _send(self, method: str, path: str, json: JsonObject | None = None) -> httpx.Response:
        url = path if path.startswith("http") else f"{self.base}{path}"
        for attempt in range(RETRIES + 1):
            try:
                response = self.http.request(method, url, json=json)
            except httpx.HTTPError as failure:
                raise LoaderIoError(
                    f"cannot reach Loader.io at {self.base} ({type(failure).__name__})", hint="Check the network."
                ) from None
            if response.status_code != 429 or attempt == RETRIES:
                return response
            time.sleep(min(float(response.headers.get("retry-after", "1") or 1), 30.0))
        raise AssertionError("unreachable")

    def app(self, domain: str) -> App:
        """The registered app (target domain), registering it when it is not yet."""
        for app in self.pages("/apps"):
            if app.get("app") == domain:
                return app
        made = self.call("POST", "/apps", json={"app": domain})
        return {"app": domain, "app_id": str(made["app_id"]), "status": "unverified"}

    def verify(self, app: App) -> None:
        if app.get("status") == "verified":
            return
        token = f"loaderio-{app['app_id']}"
        try:
            self.call("POST", f"/apps/{app['app_id']}/verify", json={"method": "http"})
        except LoaderIoError as refused:
            raise LoaderIoError(
                f"Loader.io has not verified {app['app']}: {refused.message}",
                hint=f"Serve the token {token} at https://{app['app']}/{token}/ (or a DNS TXT record {token}), "
                "then run again. The example workload serves it with --loaderio-token.",
            ) from None

    def run(self, spec: JsonObject, deadline_s: float) -> TestResult:
        """Create and start a test, then poll its result until it is ready."""
        made = self.call("POST", "/tests", json=spec)
        test_id, result_id = made["test_id"], made.get("result_id")
        if not result_id:
            result_id = self.call("PUT", f"/tests/{test_id}/run")["result_id"]
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            result: TestResult = self.call("GET", f"/tests/{test_id}/results/{result_id}")
            if result.get("status") == "ready":
                return {**result, "test_id": str(test_id)}
            time.sleep(POLL_S)
        self.call("PUT", f"/tests/{test_id}/stop")
        raise LoaderIoError(f"the Loader.io test {test_id} gave no result in time", hint="See it on loader.io.")


def _checked(response: httpx.Response) -> object:
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code == 401:
        raise LoaderIoError("Loader.io refused the API key", hint="Check INFRAGATE_LOADERIO_KEY.")
    failed = isinstance(body, dict) and body.get("message") == "error"
    if response.status_code >= 400 or failed:
        errors = body.get("errors") if isinstance(body, dict) else None
        detail = "; ".join(map(str, errors)) if errors else f"HTTP {response.status_code}"
        raise LoaderIoError(f"Loader.io said: {detail}", hint="See Loader.io's API v2 documentation.")
    return body


def spec_of(scenario: Scenario, url: str, duration_s: int) -> JsonObject:
    """A Loader.io test for the scenario: clients per second ("per-second") at the peak, for the duration."""
    return {
        "name": f"infragate {scenario.environment}",
        "test_type": "per-second",
        "duration": duration_s,
        "initial": 0,
        "total": max(1, round(scenario.peak_rps)),
        "timeout": 10_000,
        "error_threshold": 50,
        "urls": [
            {
                "url": url.rstrip("/") + request["path"],
                "request_type": "POST" if request["method"] == "POST" else "GET",
                "headers": request.get("headers") or {},
                **({"raw_post_body": request["body"]} if request.get("body") else {}),
            }
            for request in scenario.requests
            if request["method"] in ("GET", "POST")
        ],
    }


def to_results(result: TestResult, duration_s: float, started_at: float) -> StressResults:
    """Loader.io's counts as infragate's results: the whole run is the hold; no percentiles (None, never 0)."""
    success = int(result.get("success", 0))
    errors = int(result.get("error", 0)) + int(result.get("timeout_error", 0)) + int(result.get("network_error", 0))
    average = float(result.get("avg_response_time", 0))
    unanswered = int(result.get("timeout_error", 0)) + int(result.get("network_error", 0))  # no HTTP answer
    return StressResults(
        engine="loaderio",
        public_results_url=result.get("public_results_url"),
        started_at=started_at,
        duration_s=duration_s,
        overall=Measure(count=success + errors, errors=errors, unanswered=unanswered, mean=average),
        hold=Hold(
            count=success + errors, errors=errors, unanswered=unanswered, mean=average, begin=0.0, end=float(duration_s)
        ),
    )
