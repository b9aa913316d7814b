"""The server's own protections: security headers, request size limits, and a sign-in rate limit per address."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable

from fastapi import Request, Response

from infragate.web.problems import problem

MAX_BODY = 1 << 20  # 1 MiB: every form and API body infragate takes is far smaller, but for:
MAX_REPORT_BODY = 50 << 20  # a pentest vendor's PDF report (POST …/pentest/report), and a signature's
# attachment (POST …/requirements/R/signature: at most 20 MiB, base64 in JSON)
# No inline script or style anywhere: the dashboard's CSS and JS are files under /static.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


async def headers_and_limits(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    length = request.headers.get("content-length")
    limit = MAX_REPORT_BODY if request.url.path.endswith(("/pentest/report", "/signature")) else MAX_BODY
    if length is not None and (not length.isdigit() or int(length) > limit):
        return problem(413, "Request too large", f"bodies are limited to {limit} bytes", "request.too-large")
    response = await call_next(request)
    response.headers.setdefault("Content-Security-Policy", CSP)  # a route may narrow it (design documents)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    if request.url.scheme == "https":
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response


class SignInLimiter:
    """At most ``attempts`` sign-ins per address per ``window`` seconds (accounts also lock after failures)."""

    def __init__(self, attempts: int = 10, window: float = 60.0) -> None:
        self.attempts, self.window = attempts, window
        self._seen: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, address: str) -> bool:
        now = time.monotonic()
        with self._lock:
            seen = self._seen[address]
            while seen and now - seen[0] > self.window:
                seen.popleft()
            if len(seen) >= self.attempts:
                return False
            seen.append(now)
            return True
