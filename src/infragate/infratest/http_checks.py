"""HTTP checks of one endpoint: its status, the redirect from http://, its health path, the security headers,
no version banner, and compatibility with HTTP/1.1 and HTTP/2 clients. Each check records its response time."""

from __future__ import annotations

import re
import time

import httpx

from infragate.errors import UsageError
from infragate.infratest.results import Area, CheckResult, Verdict
from infragate.infratest.scope import Scope
from infragate.json_values import Json
from infragate.model.testing import Endpoint

HSTS_MIN_AGE = 15_552_000  # 180 days: a shorter max-age lapses between visits (max-age=0 turns HSTS off)
REDIRECTS = (301, 302, 307, 308)
VERSION = re.compile(r"\d")  # "nginx/1.25.3", "Apache/2.4": any digit in a banner is a version
LEAKY_HEADERS = ("x-powered-by", "x-aspnet-version", "x-aspnetmvc-version")


def _result(check: str, target: str, verdict: Verdict, detail: str, started: float, **info: Json) -> CheckResult:
    return CheckResult(Area.HTTP, check, target, verdict, detail, (time.perf_counter() - started) * 1000, dict(info))


async def fetch(client: httpx.AsyncClient, scope: Scope, url: str) -> tuple[httpx.Response | None, str, float]:
    """GET ``url`` (refused unless the scope allows it): the response, or None with why; and the time taken."""
    started = time.perf_counter()
    try:
        scope.destination(url)
        response = await client.get(url)
        return response, "", (time.perf_counter() - started) * 1000
    except UsageError as refused:
        return None, refused.message, 0.0
    except httpx.HTTPError as failure:
        return None, f"{type(failure).__name__}: {failure or 'no answer'}", (time.perf_counter() - started) * 1000


async def endpoint_checks(
    endpoint: Endpoint, scope: Scope, http1: httpx.AsyncClient, http2: httpx.AsyncClient
) -> list[CheckResult]:
    url = str(endpoint.url)
    results: list[CheckResult] = []
    started = time.perf_counter()
    response, problem, took = await fetch(http1, scope, url)
    if response is None:
        results.append(_result("status", url, Verdict.ERROR, f"no answer: {problem}", started))
        return results  # nothing else can be judged on an endpoint that does not answer
    ok = response.status_code == endpoint.status
    results.append(
        _result(
            "status",
            url,
            Verdict.PASSED if ok else Verdict.FAILED,
            f"answered {response.status_code}" + ("" if ok else f", expected {endpoint.status}"),
            started,
            http_version=response.http_version,
            response_ms=round(took, 1),
        )
    )
    results += header_checks(url, response, started, https=endpoint.url.scheme == "https")
    results.append(await _compatibility(endpoint, scope, http2))
    results.append(await _redirect(endpoint, scope, http1))
    results.append(await _health(endpoint, scope, http1))
    return results


SECURITY_HEADER_CHECKS = (
    "hsts",
    "content-security-policy",
    "content-type-options",
    "frame-protection",
    "referrer-policy",
)


def header_checks(url: str, response: httpx.Response, started: float, *, https: bool) -> list[CheckResult]:
    """The security headers and the server banner of one response (the infrastructure tests and the OWASP
    scan's passive checks both judge them here)."""
    h = response.headers
    checks: list[tuple[str, bool | None, str]] = []
    hsts = h.get("strict-transport-security", "")
    age = re.search(r"max-age\s*=\s*\"?(\d+)", hsts, re.IGNORECASE)
    if not https:
        checks.append(("hsts", None, "not applicable: HSTS is sent over HTTPS"))
    elif not hsts:
        checks.append(("hsts", False, "no Strict-Transport-Security header"))
    elif age is None or int(age[1]) < HSTS_MIN_AGE:
        checks.append(("hsts", False, f"Strict-Transport-Security '{hsts}': max-age under {HSTS_MIN_AGE} s (180 days)"))
    else:
        checks.append(("hsts", True, f"Strict-Transport-Security: {hsts}"))
    csp = h.get("content-security-policy", "").strip()
    csp_ok = bool(re.search(r"(default|script)-src", csp))
    checks.append(
        (
            "content-security-policy",
            csp_ok,
            f"Content-Security-Policy: {csp}" if csp_ok else f"no effective Content-Security-Policy ('{csp}')",
        )
    )
    nosniff = h.get("x-content-type-options", "").strip().lower() == "nosniff"
    checks.append(
        (
            "content-type-options",
            nosniff,
            "X-Content-Type-Options: nosniff"
            if nosniff
            else f"X-Content-Type-Options is '{h.get('x-content-type-options', '')}', not nosniff",
        )
    )
    frame = h.get("x-frame-options", "").strip().upper() in ("DENY", "SAMEORIGIN") or "frame-ancestors" in csp
    checks.append(
        (
            "frame-protection",
            frame,
            "framing is restricted"
            if frame
            else "neither X-Frame-Options DENY/SAMEORIGIN nor CSP frame-ancestors: the page can be framed",
        )
    )
    referrer = h.get("referrer-policy", "").strip().lower()
    referrer_ok = bool(referrer) and "unsafe-url" not in referrer
    checks.append(
        (
            "referrer-policy",
            referrer_ok,
            f"Referrer-Policy: {referrer}"
            if referrer_ok
            else f"Referrer-Policy is '{referrer}' (missing or unsafe-url)",
        )
    )
    banner = h.get("server", "")
    leaks = [name for name in LEAKY_HEADERS if name in h]
    quiet = not VERSION.search(banner) and not leaks
    checks.append(
        (
            "server-banner",
            quiet,
            "no version in Server, no X-Powered-By"
            if quiet
            else f"the server says what it runs: Server '{banner}'{', ' + ', '.join(leaks) if leaks else ''}",
        )
    )
    return [
        _result(
            check,
            url,
            Verdict.NOT_APPLICABLE if ok is None else Verdict.PASSED if ok else Verdict.FAILED,
            detail,
            started,
        )
        for check, ok, detail in checks
    ]


async def _compatibility(endpoint: Endpoint, scope: Scope, http2: httpx.AsyncClient) -> CheckResult:
    url, started = str(endpoint.url), time.perf_counter()
    if endpoint.url.scheme != "https":
        return _result("http2", url, Verdict.NOT_APPLICABLE, "not applicable: HTTP/2 is negotiated over TLS", started)
    response, problem, took = await fetch(http2, scope, url)
    if response is None:
        return _result("http2", url, Verdict.ERROR, f"an HTTP/2 client got no answer: {problem}", started)
    if response.http_version != "HTTP/2":
        detail = f"not applicable: the server does not offer HTTP/2 (ALPN); HTTP/2 clients get {response.http_version}"
        return _result("http2", url, Verdict.NOT_APPLICABLE, detail, started, http_version=response.http_version)
    if response.status_code != endpoint.status:
        detail = f"an HTTP/2-capable client got {response.status_code}, expected {endpoint.status}"
        return _result("http2", url, Verdict.FAILED, detail, started, http_version=response.http_version)
    return _result(
        "http2",
        url,
        Verdict.PASSED,
        f"answered {response.status_code} over HTTP/2",
        started,
        http_version="HTTP/2",
        response_ms=round(took, 1),
    )


async def _redirect(endpoint: Endpoint, scope: Scope, http1: httpx.AsyncClient) -> CheckResult:
    started = time.perf_counter()
    if endpoint.url.scheme != "https":
        return _result(
            "redirect-to-https",
            str(endpoint.url),
            Verdict.FAILED,
            "the endpoint is plain HTTP: nothing redirects it to HTTPS",
            started,
        )
    plain = f"http://{endpoint.host}/"
    if scope.embedded and endpoint.resolve_http is None:
        return _result(
            "redirect-to-https",
            plain,
            Verdict.NOT_APPLICABLE,
            "not applicable (embedded): no resolve_http pins the http:// address",
            started,
        )
    response, problem, _took = await fetch(http1, scope, plain)
    if response is None:
        return _result("redirect-to-https", plain, Verdict.FAILED, f"http:// does not answer: {problem}", started)
    location = response.headers.get("location", "")
    good = response.status_code in REDIRECTS and location.lower().startswith(f"https://{endpoint.host.lower()}")
    detail = (
        f"{response.status_code} to {location}"
        if good
        else (
            f"answered {response.status_code}{' to ' + location if location else ''}: not a redirect to https://"
            f"{endpoint.host}"
        )
    )
    return _result("redirect-to-https", plain, Verdict.PASSED if good else Verdict.FAILED, detail, started)


async def _health(endpoint: Endpoint, scope: Scope, http1: httpx.AsyncClient) -> CheckResult:
    started = time.perf_counter()
    if endpoint.health is None:
        return _result(
            "health",
            str(endpoint.url),
            Verdict.NOT_APPLICABLE,
            "not applicable: the endpoint declares no health path",
            started,
        )
    url = str(endpoint.url).rstrip("/") + endpoint.health
    response, problem, took = await fetch(http1, scope, url)
    if response is None:
        return _result("health", url, Verdict.ERROR, f"no answer: {problem}", started)
    ok = response.status_code == 200
    return _result(
        "health",
        url,
        Verdict.PASSED if ok else Verdict.FAILED,
        f"answered {response.status_code}" + ("" if ok else ", expected 200"),
        started,
        response_ms=round(took, 1),
    )
