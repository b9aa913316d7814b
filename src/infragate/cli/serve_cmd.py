"""``infragate serve``: the server (team mode) - the REST API under /api/v1 and the web dashboard."""

from __future__ import annotations

import typer

from infragate.cli.console import err
from infragate.errors import UsageError
from infragate.settings import load_settings

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (only this machine by default)."),
    port: int = typer.Option(8080, "--port", min=1, max=65535),
    public: bool = typer.Option(False, "--public", help="Allow listening on a non-local address."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Server processes (about one per CPU core)."),
) -> None:
    """Run the infragate server: the API (/api/v1, OpenAPI at /api/docs) and the dashboard, on the store of
    INFRAGATE_DATABASE_URL (PostgreSQL for teams). People sign in with a password an admin set
    (`infragate user password NAME`); scripts and CI use API tokens.

    Example:

      INFRAGATE_DATABASE_URL=postgresql+psycopg://infragate@db/infragate infragate serve --port 8080
    """
    import uvicorn

    from infragate.workflow.context import open_unit_of_work

    if host not in LOCAL_HOSTS and not public:
        raise UsageError(
            f"--host {host} would expose the server beyond this machine",
            hint="Put it behind a TLS proxy and pass --public as well, or keep the default 127.0.0.1.",
        )
    settings = load_settings()
    # migrate (and make the signing key) once, before any worker starts
    open_unit_of_work(settings).store.engine.dispose()
    err.print(f"infragate server on http://{host}:{port} (dashboard /, API /api/v1, docs /api/docs); Ctrl-C stops it")
    if settings.oidc is not None:
        err.print(f"single sign-on: {settings.oidc.label} ({settings.oidc.issuer})", markup=False)
    else:
        err.print("sign-in: passwords (set INFRAGATE_OIDC_* for single sign-on)", markup=False)
    uvicorn.run(
        "infragate.web.app:from_environment",  # each worker process builds its own app and store connections
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=True,
        server_header=False,
    )
