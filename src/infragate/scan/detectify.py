"""Detectify's API v2 (../shared/reference/service-apis.md §1): request signing, the scan profile of an
endpoint, starting and polling a scan, and its vulnerabilities read into ScanFindings.

Detectify scans from its own servers on the internet, so it only ever scans public endpoints (never an
embedded or pinned one). Its findings carry a CWE and no OWASP category: the category comes from the CWE.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from typing import Any, TypedDict
from urllib.parse import urlsplit

import httpx

from infragate.errors import UsageError
from infragate.json_values import JsonObject
from infragate.scan.findings import ScanFinding

API = "https://api.detectify.com/rest"
ENGINE = "detectify"
SEVERITY = {
    "critical": "critical", "high": "high", "medium": "medium", "low": "low",
    "information": "info", "info": "info", "informational": "info",
}  # fmt: skip
MAX_ATTEMPTS = 5


class Profile(TypedDict, total=False):
    """``GET /v2/profiles/`` (each), ``POST /v2/profiles/``."""

    token: str
    endpoint: str


class ScanStatus(TypedDict, total=False):
    """``GET /v2/scans/{profile}/`` while a scan runs."""

    state: str
    phase: str


class Header(TypedDict):
    name: str
    value: str


class Request(TypedDict, total=False):
    method: str
    url: str
    headers: list[Header]


class Response(TypedDict, total=False):
    status_code: int
    body: str


class Definition(TypedDict, total=False):
    title: str
    description: str


class Vulnerability(TypedDict, total=False):
    """One finding of ``GET /v2/vulnerabilities/``, with what infragate reads of it."""

    uuid: str
    title: str
    severity: str
    cwe: int | str | None
    location: str
    host: str
    status: str
    scan_profile_token: str
    definition: Definition
    request: Request
    response: Response


class VulnerabilityPage(TypedDict, total=False):
    vulnerabilities: list[Vulnerability]
    has_more: bool
    next_marker: str


class DetectifyError(UsageError):
    """Detectify refused or failed (the scan reports it; it never counts as a clean scan)."""


def signature(method: str, path: str, api_key: str, secret: str, timestamp: int, body: str = "") -> str:
    """``X-Detectify-Signature``: base64(HMAC-SHA256(base64decode(secret), "METHOD;PATH;KEY;TIMESTAMP;BODY")),
    where PATH is the part after ``/rest`` (e.g. ``/v2/domains/``)."""
    message = f"{method.upper()};{path};{api_key};{timestamp};{body}"
    digest = hmac.new(base64.b64decode(secret), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class Detectify:
    """A signed v2 client (httpx): retries 429 and 5xx with backoff, follows ``next_marker`` pages."""

    def __init__(
        self, api_key: str, secret: str | None, base: str = API, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        if not api_key:
            raise DetectifyError(
                "no Detectify API key",
                hint="Set INFRAGATE_DETECTIFY_KEY (and INFRAGATE_DETECTIFY_SECRET when the key signs).",
            )
        self.api_key, self.secret, self.base = api_key, secret, base.rstrip("/")
        self.sleep = sleep
        self.http = httpx.Client(timeout=30.0, trust_env=False)

    def call(self, method: str, path: str, body: JsonObject | None = None) -> Any:  # read as the TypedDicts below
        text = json.dumps(body) if body is not None else ""
        for attempt in range(MAX_ATTEMPTS):
            headers = {"X-Detectify-Key": self.api_key, "Accept": "application/json"}
            if self.secret:
                stamp = int(time.time())
                headers |= {
                    "X-Detectify-Timestamp": str(stamp),
                    "X-Detectify-Signature": signature(
                        method, urlsplit(path).path, self.api_key, self.secret, stamp, text
                    ),
                }
            if text:
                headers["Content-Type"] = "application/json"
            try:
                response = self.http.request(method, self.base + path, content=text or None, headers=headers)
            except httpx.HTTPError as failed:
                raise DetectifyError(
                    f"Detectify at {self.base} cannot be reached: {failed}",
                    hint="Check INFRAGATE_DETECTIFY_URL and the network.",
                ) from None
            if response.status_code == 429 or response.status_code >= 500:
                self.sleep(min(30.0, float(response.headers.get("Retry-After") or 2**attempt)))
                continue
            if response.status_code == 404:
                return None
            if response.status_code in (401, 403):
                raise DetectifyError(
                    f"Detectify refused {method} {path} ({response.status_code}): the key, its signature or its rights",
                    hint="Check INFRAGATE_DETECTIFY_KEY and INFRAGATE_DETECTIFY_SECRET, and the clock "
                    "(signatures are timed).",
                )
            if response.status_code >= 400:
                raise DetectifyError(
                    f"Detectify answered {response.status_code} to {method} {path}: {response.text[:200]}"
                )
            return response.json() if response.content else {}
        raise DetectifyError(f"Detectify kept failing on {method} {path} after {MAX_ATTEMPTS} attempts")

    def profile(self, host: str) -> str:
        """The token of the scan profile for ``host``, created when there is none."""
        profiles: list[Profile] = self.call("GET", "/v2/profiles/") or []
        for item in profiles:
            if str(item.get("endpoint", "")).lower() == host.lower():
                return str(item["token"])
        created: Profile | None = self.call("POST", "/v2/profiles/", {"endpoint": host, "unique": True})
        if not created or "token" not in created:
            raise DetectifyError(f"Detectify did not create a scan profile for {host}")
        return str(created["token"])

    def scan(self, profile: str, deadline_s: float, progress: Callable[[str], None]) -> None:
        """Start a scan and wait until it is no longer running (Detectify answers 404 when none is)."""
        self.call("POST", f"/v2/scans/{profile}/")
        ends = time.monotonic() + deadline_s
        while time.monotonic() < ends:
            status: ScanStatus | None = self.call("GET", f"/v2/scans/{profile}/")
            if status is None or str(status.get("state", "")).lower() in ("stopped", "finished", "completed", "done"):
                return
            progress(f"Detectify: {status.get('phase') or status.get('state') or 'running'}")
            self.sleep(10.0)
        self.call("DELETE", f"/v2/scans/{profile}/")
        raise DetectifyError(f"the Detectify scan did not finish within {deadline_s:.0f} s (stopped)")

    def vulnerabilities(self) -> Iterator[Vulnerability]:
        marker = ""
        while True:
            found: VulnerabilityPage | None = self.call("GET", f"/v2/vulnerabilities/?marker={marker}&page_size=100")
            page: VulnerabilityPage = found or {}
            yield from page.get("vulnerabilities", [])
            if not page.get("has_more") or not page.get("next_marker"):
                return
            marker = str(page["next_marker"])


def to_finding(item: Vulnerability) -> ScanFinding:
    definition: Definition = item.get("definition") or {}
    request: Request = item.get("request") or {}
    response: Response = item.get("response") or {}
    url = str(request.get("url") or item.get("location") or f"https://{item.get('host', '')}/")
    evidence = ""
    if request:
        evidence = f"{request.get('method', 'GET')} {url}\n" + "".join(
            f"{h['name']}: {h['value']}\n" for h in request.get("headers", [])
        )
    if response:
        evidence += f"→ {response.get('status_code', '')} {str(response.get('body', ''))[:200]}"
    cwe = item.get("cwe")
    return ScanFinding(
        ENGINE,
        str(item.get("uuid", "")),
        str(item.get("title") or definition.get("title") or "Detectify finding"),
        SEVERITY.get(str(item.get("severity", "")).lower(), "info"),
        "high",
        int(cwe) if isinstance(cwe, int) or (isinstance(cwe, str) and cwe.isdigit()) else None,
        url,
        method=str(request.get("method") or "GET"),
        evidence=evidence,
        description=str(definition.get("description", ""))[:1000],
    )


def scan_endpoint(client: Detectify, url: str, deadline_s: float, progress: Callable[[str], None]) -> list[ScanFinding]:
    """Scan the endpoint's host with Detectify and import the active findings of its profile."""
    host = urlsplit(url).hostname or ""
    profile = client.profile(host)
    progress(f"Detectify: scanning {host} (profile {profile})")
    client.scan(profile, deadline_s, progress)
    return [
        to_finding(item)
        for item in client.vulnerabilities()
        if item.get("scan_profile_token") == profile and str(item.get("status", "active")) == "active"
    ]
