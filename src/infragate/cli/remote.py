"""Team mode from the CLI: the server this user is logged in to, and calls to its API.

``infragate login --server URL`` keeps a personal API token in the user's config file (readable by its owner
only). While it is there, the workflow commands call the server's API instead of opening a store: the server
authenticates the person and its use-cases decide. The CLI never opens the team database itself, so commands
that only the server can do (reading AWS and recording runs) are refused with what to run instead.

A pipeline sets ``INFRAGATE_SERVER`` and ``INFRAGATE_TOKEN`` (a pipeline token) instead of logging in;
``INFRAGATE_SERVER=off`` keeps a command in local mode whatever login is saved.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from infragate.errors import (
    AuthenticationError,
    InfragateError,
    NotFoundError,
    RefusedError,
    ServerError,
    UsageError,
)
from infragate.files import write_atomically

TIMEOUT_S = 30.0


def config_file() -> Path:
    """Where `infragate login` keeps the server and token: INFRAGATE_CONFIG, else the user's config directory."""
    given = os.environ.get("INFRAGATE_CONFIG")
    if given:
        return Path(given)
    from platformdirs import user_config_dir

    return Path(user_config_dir("infragate", appauthor=False)) / "server.json"


@dataclass(frozen=True)
class Server:
    url: str
    token: str
    user: str
    token_id: int | None
    source: str  # "login" (the config file) or "environment" (INFRAGATE_SERVER and INFRAGATE_TOKEN)

    def call(self, method: str, path: str, *, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        """``method /api/v1{path}`` as this user; the decoded JSON answer (bytes for files). A problem
        answer becomes the matching infragate error, so the CLI shows it and exits as it would locally."""
        return self._request(method, path, params, json=body)

    def send_bytes(self, path: str, data: bytes, content_type: str, params: dict[str, Any] | None = None) -> Any:
        """``POST /api/v1{path}`` with ``data`` as the body (a report, a findings file)."""
        return self._request("POST", path, params, content=data, content_type=content_type)

    def _request(
        self, method: str, path: str, params: dict[str, Any] | None, *, content_type: str = "", **body: Any
    ) -> Any:
        import httpx

        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}  # none: signing in
        if content_type:
            headers["Content-Type"] = content_type
        try:
            response = httpx.request(
                method,
                f"{self.url}/api/v1{path}",
                params={k: v for k, v in (params or {}).items() if v is not None},
                headers=headers,
                timeout=TIMEOUT_S,
                **body,
            )
        except httpx.HTTPError as failure:
            raise ServerError(
                f"cannot reach the infragate server at {self.url} ({type(failure).__name__})",
                hint="Check the address and that `infragate serve` runs there; `infragate logout` returns to "
                "local mode.",
            ) from None
        if response.status_code >= 400:
            raise error_from(response.status_code, response.headers.get("content-type", ""), response.text, self.url)
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.content

    def stream(self, path: str, last_event: int = 0) -> Any:
        """A server-sent event stream (an open httpx response; the caller closes it)."""
        import httpx

        headers = {"Authorization": f"Bearer {self.token}", "Accept": "text/event-stream"}
        if last_event:
            headers["Last-Event-ID"] = str(last_event)
        client = httpx.Client(timeout=httpx.Timeout(TIMEOUT_S, read=None))
        try:
            response = client.send(
                client.build_request("GET", f"{self.url}/api/v1{path}", headers=headers), stream=True
            )
        except httpx.HTTPError as failure:
            client.close()
            raise ServerError(f"cannot reach the infragate server at {self.url} ({type(failure).__name__})") from None
        if response.status_code >= 400:
            text = response.read().decode(errors="replace")
            client.close()
            raise error_from(response.status_code, response.headers.get("content-type", ""), text, self.url)
        return response


def error_from(status: int, content_type: str, text: str, url: str) -> InfragateError:
    """The infragate error a problem+json answer stands for."""
    detail, hint, title = text[:300], "", ""
    if "json" in content_type:
        try:
            problem = json.loads(text)
            detail, hint = str(problem.get("detail", detail)), str(problem.get("hint") or "")
            title = str(problem.get("title", ""))  # the server's exception class: the same error here
        except (ValueError, AttributeError):
            pass
    if status == 401:
        return AuthenticationError(
            f"the server refused the credentials: {detail}",
            hint=hint or "Your token may have expired or been revoked: `infragate login --server URL` again.",
        )
    if status == 403:
        from infragate.workflow.roles import RoleError

        if title == "RefusedError":
            return RefusedError(detail, hint=hint)
        return RoleError(detail, hint=hint)
    if status == 404:
        return NotFoundError(detail, hint=hint)
    if status in (400, 409, 413, 422, 429):
        return UsageError(detail, hint=hint)
    return ServerError(f"the server at {url} answered {status}: {detail}", hint=hint or "See the server's log.")


def connection() -> Server | None:
    """The server this CLI talks to, or None in local mode."""
    url, token = os.environ.get("INFRAGATE_SERVER", "").strip(), os.environ.get("INFRAGATE_TOKEN", "").strip()
    if url == "off":  # local mode for this command, whatever login is saved (make run, scripts on the host)
        return None
    if url and token:
        return Server(
            url.rstrip("/"), token, os.environ.get("INFRAGATE_USER", "") or "(pipeline token)", None, "environment"
        )
    if url or token:
        raise UsageError(
            "INFRAGATE_SERVER and INFRAGATE_TOKEN go together",
            hint="Set both (a pipeline's token and the server's address), or neither.",
        )
    path = config_file()
    if not path.is_file():
        return None
    try:
        saved = json.loads(path.read_text())
        return Server(str(saved["server"]), str(saved["token"]), str(saved["user"]), saved.get("token_id"), "login")
    except (OSError, ValueError, KeyError, TypeError):
        raise UsageError(
            f"{path} is not a login infragate wrote", hint="`infragate logout`, then `infragate login --server URL`."
        ) from None


def save(server: Server) -> Path:
    path = config_file()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    body = {"server": server.url, "token": server.token, "user": server.user, "token_id": server.token_id}
    write_atomically(path, json.dumps(body, indent=2) + "\n", private=True)  # the token is a password
    return path


def forget() -> Server | None:
    """Remove the saved login; the login it held (None when there was none)."""
    path = config_file()
    found = connection() if path.is_file() else None
    path.unlink(missing_ok=True)
    return found


def refuse_locally(instead: str) -> None:
    """Commands that read AWS from this machine or write to the store are the server's in team mode."""
    server = connection()
    if server is not None:
        raise UsageError(
            f"this command works on a local store, and this CLI is logged in to {server.url} (team mode), where "
            "only the server records evidence",
            hint=f"{instead}; or `infragate logout` to work in local mode again.",
        )


def segment(value: str) -> str:
    """A value made safe as one path segment of an API URL."""
    return quote(value, safe="")
