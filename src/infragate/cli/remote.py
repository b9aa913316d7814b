"""Which server this CLI talks to, if any: ``infragate login --server URL`` keeps a personal API token in the
user's config file (readable by its owner only); a pipeline sets ``INFRAGATE_SERVER`` and ``INFRAGATE_TOKEN``
(a pipeline token) instead; ``INFRAGATE_SERVER=off`` keeps a command in local mode whatever login is saved.

Only the client factory (``cli.client``) asks; every command then has one path.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from infragate.errors import UsageError
from infragate.files import write_atomically


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


def logged_in() -> Server | None:
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


def forget() -> None:
    """Remove the saved login."""
    config_file().unlink(missing_ok=True)
