"""Which optional part of infragate a library belongs to, so that a missing one is a clear message naming the
extra to install (``pip install 'infragate[stress]'``), never an ImportError.

| extra | what it brings |
|---|---|
| (core) | design files and rules, audits, plan/apply/verify, the store, reports, jobs on SQLite |
| embedded | the local AWS emulator (moto) for ``aws: embedded`` environments |
| stress | Locust and HdrHistogram, for stress tests |
| probes | infrastructure tests and OWASP scans: HTTP/2, SSLyze, dnspython, a local CA, the ZAP client |
| team | the server (FastAPI, uvicorn, single sign-on), PostgreSQL, Redis and notifications |
| docs | design diagrams (diagrams, Graphviz) and PDF reports (WeasyPrint) |
| all | everything above |
"""

from __future__ import annotations

import importlib.util

from infragate.errors import UsageError

# top-level module -> the extra that installs it
EXTRA_OF = {
    "moto": "embedded",
    "locust": "stress",
    "gevent": "stress",
    "hdrh": "stress",
    "h2": "probes",
    "sslyze": "probes",
    "dns": "probes",
    "trustme": "probes",
    "zapv2": "probes",
    "fastapi": "team",
    "starlette": "team",
    "uvicorn": "team",
    "multipart": "team",
    "authlib": "team",
    "itsdangerous": "team",
    "redis": "team",
    "psycopg": "team",
    "apprise": "team",
    "weasyprint": "docs",
    "diagrams": "docs",
}
WHAT = {
    "embedded": "embedded AWS",
    "stress": "stress tests",
    "probes": "infrastructure tests and OWASP scans",
    "team": "team mode (the server, PostgreSQL, Redis, notifications)",
    "docs": "design diagrams and PDF reports",
}


def missing(module: str) -> UsageError | None:
    """The error to show when ``module`` could not be imported because its extra is not installed (None when
    the module is not an extra's)."""
    extra = EXTRA_OF.get(module.split(".", 1)[0])
    if extra is None:
        return None
    return UsageError(
        f"{WHAT[extra]} need infragate's '{extra}' extra, which is not installed here ({module} is missing)",
        hint=f"pip install 'infragate[{extra}]' (or 'infragate[all]' for every part).",
    )


def require(module: str) -> None:
    """Refuse, naming the extra, when ``module`` is not installed (for tools started as another process)."""
    try:
        found = importlib.util.find_spec(module)
    except (ModuleNotFoundError, ValueError):
        found = None
    if found is None:
        refusal = missing(module)
        raise refusal if refusal is not None else UsageError(f"{module} is not installed")
