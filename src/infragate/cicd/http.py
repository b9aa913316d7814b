"""One JSON API over httpx for the CI/CD adapters: rate limits honoured (``Retry-After``, and
``X-RateLimit-Reset`` when the remaining count is 0), server errors retried, and every failure raised as a
``CicdApiError`` that says which service, which call and what to do."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from infragate.errors import ServiceError, UsageError
from infragate.json_values import Json

ATTEMPTS = 4
LONGEST_WAIT_S = 60.0


class CicdApiError(ServiceError):
    code = "cicd-api"

    def __init__(self, message: str, *, status: int | None = None, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.status = status


def check_base_url(url: str, variable: str) -> str:
    """An API base must be https, or http on this machine (the fake servers in tests)."""
    local = url.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]"))
    if not url.startswith("https://") and not local:
        raise UsageError(f"{variable} is '{url}'", hint="Use https://… (http only on 127.0.0.1).")
    return url.rstrip("/")


def _wait_s(response: httpx.Response, attempt: int) -> float:
    """How long the service asks us to wait: Retry-After, else until X-RateLimit-Reset, else back off."""
    retry_after = response.headers.get("retry-after", "")
    if retry_after.strip().isdigit():
        return float(retry_after)
    if response.headers.get("x-ratelimit-remaining") == "0":
        reset = response.headers.get("x-ratelimit-reset", "")
        if reset.isdigit():
            return max(0.0, float(reset) - time.time())
    return float(2**attempt)


def _limited(response: httpx.Response) -> bool:
    if response.status_code == 429:
        return True
    return response.status_code == 403 and (
        response.headers.get("x-ratelimit-remaining") == "0" or "rate limit" in response.text.lower()
    )


class JsonApi:
    """A service's JSON API: ``service`` names it in errors, ``hint`` says which settings to check."""

    def __init__(
        self,
        service: str,
        base_url: str,
        headers: dict[str, str],
        hint: str,
        *,
        timeout: float = 30.0,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.service, self.base, self.hint = service, base_url.rstrip("/"), hint
        self.http = httpx.Client(timeout=timeout, headers=headers, trust_env=False, follow_redirects=False)
        self.sleep = sleep or time.sleep

    def close(self) -> None:
        self.http.close()

    def send(
        self, method: str, path: str, *, params: Mapping[str, str | int] | None = None, json: Json = None
    ) -> httpx.Response:
        """One call, retried on rate limits and 5xx; a 4xx other than a rate limit is returned to the caller."""
        url = path if path.startswith("http") else f"{self.base}{path}"
        for attempt in range(ATTEMPTS):
            try:
                response = self.http.request(method, url, params=params, json=json)
            except httpx.HTTPError as failure:
                raise CicdApiError(
                    f"{self.service} at {self.base} cannot be reached ({type(failure).__name__})", hint=self.hint
                ) from None
            if not (_limited(response) or response.status_code >= 500) or attempt == ATTEMPTS - 1:
                return response
            wait = _wait_s(response, attempt)
            if wait > LONGEST_WAIT_S:
                raise CicdApiError(
                    f"{self.service} rate-limits us for {wait:.0f} s more ({method} {path})",
                    status=response.status_code,
                    hint="Try again later, or use a token with a higher limit.",
                )
            self.sleep(wait)
        raise AssertionError("unreachable")

    def call(
        self,
        method: str,
        path: str,
        *,
        missing_ok: bool = False,
        params: Mapping[str, str | int] | None = None,
        json: Json = None,
    ) -> Any:  # the service's document: its caller reads it as the TypedDict of what the service documents
        """The decoded JSON of a successful call; None for 404 when ``missing_ok``; else ``CicdApiError``."""
        response = self.send(method, path, params=params, json=json)
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code >= 400:
            raise self.error(method, path, response)
        return response.json() if response.content else {}

    def error(self, method: str, path: str, response: httpx.Response) -> CicdApiError:
        try:
            message = str(response.json().get("message", ""))
        except (ValueError, AttributeError):
            message = response.text[:200]
        if response.status_code in (401, 403) and not _limited(response):
            return CicdApiError(
                f"{self.service} refused {method} {path} ({response.status_code}: {message})",
                status=response.status_code,
                hint=f"The token lacks the right or is wrong. {self.hint}",
            )
        return CicdApiError(
            f"{self.service} answered {response.status_code} to {method} {path}: {message}",
            status=response.status_code,
            hint=self.hint,
        )
