"""``infragate login`` and ``logout``: switch this CLI between local mode and a team's server."""

from __future__ import annotations

import os
import sys

import typer

from infragate.cli import remote
from infragate.cli.console import err, out
from infragate.errors import InfragateError, UsageError


def login(
    server: str = typer.Option(..., "--server", "-s", help="The server's address, e.g. https://infragate.example.com"),
    user: str = typer.Option("", "--user", "-u", help="Your user name on the server (default: INFRAGATE_USER)."),
    with_token: bool = typer.Option(
        False, "--with-token", help="Read an API token from standard input instead of asking for a password."
    ),
    days: int = typer.Option(30, "--days", help="How long the personal token lives (1–366 days)."),
) -> None:
    """Log in to an infragate server (team mode): exchange your password for a personal API token, kept in
    your config file (readable by you only). From then on the workflow commands call the server's API: it
    authenticates you and decides. `infragate logout` returns to local mode.

    Examples:

      infragate login --server http://127.0.0.1:8765 --user lena.lead@example.com

      echo "$TOKEN" | infragate login --server https://infragate.example.com --with-token
    """
    url = server.rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"--server is '{server}'", hint="Give the address with its scheme: https://host[:port]")
    if url.startswith("http://") and not url.split("//", 1)[1].startswith(("127.0.0.1", "localhost", "[::1]")):
        err.print("warning: the server is not on this machine and not https: the password travels in clear")
    from infragate.cli.http_client import HttpClient
    from infragate.workflow.accounts import SignIn
    from infragate.workflow.users import WhoAmI

    if with_token:
        token = sys.stdin.readline().strip()
        if not token:
            raise UsageError("--with-token read nothing from standard input", hint='echo "$TOKEN" | infragate …')
        made = remote.Server(url, token, user, None, "login")
    else:
        name = user or os.environ.get("INFRAGATE_USER", "").strip()
        if not name:
            raise UsageError("who are you on the server?", hint="Pass --user NAME (or set INFRAGATE_USER).")
        password = _password(name)
        if not password:
            raise UsageError("the password is empty", hint="Type it at the prompt, or pipe one line into the command.")
        asked = SignIn(name=name, password=password, token_name=f"infragate CLI ({os.uname().nodename})", days=days)
        answer = HttpClient(remote.Server(url, "", name, None, "login")).execute(asked)
        made = remote.Server(url, answer.token, name, answer.id, "login")
    me = HttpClient(made).execute(WhoAmI())  # proves the token works before it is saved
    saved = remote.save(remote.Server(url, made.token, me.name, made.token_id, "login"))
    roles = "; ".join(f"{project}: {', '.join(held)}" for project, held in sorted(me.projects.items()))
    out.print(f"logged in to {url} as {me.name}{' (admin)' if me.admin else ''}", markup=False)
    out.print(f"roles: {roles or 'none on any project yet'}", markup=False)
    err.print(f"token kept in {saved}; commands now go to the server (`infragate logout` for local mode)", markup=False)


def _password(name: str) -> str:
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"password for {name}: ")
    return sys.stdin.readline().rstrip("\n")  # scripts pipe it in, never as an argument (ps would show it)


def logout() -> None:
    """Forget the server login and return to local mode. The token is revoked on the server (when it can be
    reached) and removed from your config file; commands then work on the local store again.

    Example:

      infragate logout
    """
    from infragate.cli.http_client import HttpClient
    from infragate.workflow.accounts import RevokeToken

    found = remote.logged_in()
    if found is None:
        out.print("not logged in: this CLI works in local mode")
        return
    if found.source == "environment":
        raise UsageError(
            "the server comes from INFRAGATE_SERVER and INFRAGATE_TOKEN", hint="Unset them to work in local mode."
        )
    if found.token_id is not None:
        try:
            HttpClient(found).execute(RevokeToken(token_id=found.token_id))
        except InfragateError as problem:
            err.print(f"warning: the token could not be revoked on the server ({problem.message})", markup=False)
    remote.forget()
    out.print(f"logged out of {found.url}; commands work on the local store again", markup=False)
