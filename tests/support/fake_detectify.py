"""A local fake of Detectify's API v2 (../shared/reference/service-apis.md §1) that checks every request's
signature as Detectify does (401 for a missing or wrong key, signature or a stale timestamp), keeps scan
profiles, runs a scan for a few polls, answers 404 when no scan runs, and pages vulnerabilities with
``marker``/``has_more``/``next_marker``. Its first call to each path fails once with 503 when asked."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

KEY = "10840b0f938942feafb7186de74b9682"
SECRET = "0vyTnawJRFn0Q9tWLTM188Olizc72JczHSXoIlsPQIc="


@dataclass
class FakeDetectify:
    polls_per_scan: int = 2
    vulnerabilities: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 2
    flaky: bool = False  # the first request of each path answers 503 once
    profiles: dict[str, str] = field(default_factory=dict)  # token -> endpoint
    running: dict[str, int] = field(default_factory=dict)  # token -> polls left
    calls: list[str] = field(default_factory=list)
    _failed_once: set[str] = field(default_factory=set)
    _tokens: itertools.count = field(default_factory=lambda: itertools.count(1))  # type: ignore[type-arg]

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/rest/v2/profiles/", self.profile_list, methods=["GET", "POST"]),
                Route("/rest/v2/scans/{token}/", self.scans, methods=["GET", "POST", "DELETE"]),
                Route("/rest/v2/vulnerabilities/", self.vulnerability_list, methods=["GET"]),
            ]
        )

    async def _check(self, request: Request) -> Response | None:
        path = request.url.path.removeprefix("/rest")
        self.calls.append(f"{request.method} {path}")
        if self.flaky and path not in self._failed_once:
            self._failed_once.add(path)
            return Response(status_code=503)
        body = (await request.body()).decode()
        key = request.headers.get("x-detectify-key", "")
        stamp = request.headers.get("x-detectify-timestamp", "")
        given = request.headers.get("x-detectify-signature", "")
        if key != KEY or not stamp.isdigit() or abs(time.time() - int(stamp)) > 300:
            return Response(status_code=401)
        message = f"{request.method};{path};{key};{stamp};{body}".encode()
        expected = base64.b64encode(hmac.new(base64.b64decode(SECRET), message, hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(expected, given):
            return Response(status_code=401)
        return None

    async def profile_list(self, request: Request) -> Response:
        refused = await self._check(request)
        if refused is not None:
            return refused
        if request.method == "POST":
            data = await request.json()
            token = f"profile{next(self._tokens)}"
            self.profiles[token] = str(data["endpoint"])
            return JSONResponse({"token": token, "name": data["endpoint"], "endpoint": data["endpoint"]})
        return JSONResponse(
            [{"token": t, "name": e, "endpoint": e, "status": "verified"} for t, e in self.profiles.items()]
        )

    async def scans(self, request: Request) -> Response:
        refused = await self._check(request)
        if refused is not None:
            return refused
        token = request.path_params["token"]
        if token not in self.profiles:
            return Response(status_code=404)
        if request.method == "POST":
            self.running[token] = self.polls_per_scan
            return JSONResponse({})
        if request.method == "DELETE":
            self.running.pop(token, None)
            return JSONResponse({})
        if self.running.get(token, 0) <= 0:
            self.running.pop(token, None)
            return Response(status_code=404)  # no scan running: the last one finished
        self.running[token] -= 1
        return JSONResponse(
            {"scan_profile_token": token, "created": "2026-11-27T12:00:00Z", "phase": "crawling", "state": "running"}
        )

    async def vulnerability_list(self, request: Request) -> Response:
        refused = await self._check(request)
        if refused is not None:
            return refused
        start = int(request.query_params.get("marker") or 0)
        page = self.vulnerabilities[start : start + self.page_size]
        more = start + self.page_size < len(self.vulnerabilities)
        return JSONResponse(
            {
                "vulnerabilities": page,
                "has_more": more,
                "next_marker": str(start + self.page_size) if more else "",
                "total_vulnerabilities": len(self.vulnerabilities),
            }
        )


def vulnerability(
    profile: str, title: str, severity: str, cwe: int, url: str, status: str = "active"
) -> dict[str, Any]:
    """A vulnerability as Detectify's v2 API shapes it (DefectDojo's fixture of the documented schema)."""
    return {
        "uuid": f"uuid-{title.lower().replace(' ', '-')}",
        "title": title,
        "severity": severity,
        "status": status,
        "cwe": cwe,
        "scan_profile_token": profile,
        "host": url.split("/")[2],
        "location": url,
        "definition": {"title": title, "description": f"{title} was found."},
        "request": {"method": "GET", "url": url, "headers": [{"name": "Cookie", "value": "session=abc123"}]},
        "response": {"status_code": 200, "body": "<script>alert(1)</script>"},
    }
