"""Typed settings, read once from the environment.

| variable | meaning | default |
|---|---|---|
| INFRAGATE_HOME | where state lives (embedded AWS, store, docs, reports) | the user's data directory |
| INFRAGATE_AWS_RETRY_MODE | botocore retry mode: standard or adaptive | standard |
| INFRAGATE_AWS_MAX_ATTEMPTS | botocore attempts per call, including the first | 5 |
| INFRAGATE_DATABASE_URL | the store: a SQLAlchemy URL (``postgresql+psycopg://…``) | SQLite in INFRAGATE_HOME |
| INFRAGATE_QUEUE_URL | the job queue: ``redis://…`` for workers on several machines | SQLite in INFRAGATE_HOME |
| INFRAGATE_SIGN_IN_LIMIT | sign-ins the server accepts per address per minute | 10 |
| INFRAGATE_JOB_LEASE | seconds a worker may be silent before its job counts as dead | 30 |
| INFRAGATE_AUDIT_KEY | the audit log's Ed25519 signing key (PEM, made on first use) | INFRAGATE_HOME/keys |
| INFRAGATE_GITHUB_WEBHOOK_SECRET | the secret GitHub signs webhook deliveries with | none: all refused |
| INFRAGATE_CIRCLECI_WEBHOOK_SECRET | the signing secret of CircleCI's outbound webhooks | none: all refused |
| INFRAGATE_WEBHOOK_MAX_AGE | minutes after its event a webhook delivery is still accepted | 60 |
| INFRAGATE_POLICY_PACKS | the organisation's directory of policy packs, judged for every design | none |
| INFRAGATE_OIDC_ISSUER | single sign-on: the organisation's OpenID Connect issuer (https) | none (passwords only) |
| INFRAGATE_OIDC_CLIENT_ID | single sign-on: infragate's client id at that issuer | |
| INFRAGATE_OIDC_CLIENT_SECRET | single sign-on: its client secret | |
| INFRAGATE_OIDC_LABEL | the sign-in button's text, e.g. "Example Corp SSO" | single sign-on |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from infragate.errors import UsageError

RetryMode = Literal["standard", "adaptive"]


@dataclass(frozen=True)
class Settings:
    home: Path
    aws_retry_mode: RetryMode = "standard"
    aws_max_attempts: int = 5
    database_url: str | None = None
    queue_url: str | None = None  # redis://host:port/db for workers on several machines; else SQLite in home
    job_lease_seconds: int = 30  # a running job whose worker has been silent this long is failed or retried
    audit_key: Path | None = None  # None: <home>/keys/audit-ed25519.pem
    sign_in_limit: int = 10  # sign-ins per address per minute (the server; accounts also lock after failures)
    oidc: OidcSettings | None = None  # the organisation's single sign-on, when configured
    tools: Path | None = None  # None: <home>/tools (scanners installed in environments of their own)
    github_webhook_secret: str = field(default="", repr=False)  # "" refuses every GitHub delivery
    circleci_webhook_secret: str = field(default="", repr=False)
    webhook_max_age_minutes: int = 60  # a delivery reporting an older event is stale (neither service signs time)

    @property
    def tools_dir(self) -> Path:
        """Where external tools (wapiti) get their own virtual environments, installed once."""
        return self.tools or self.home / "tools"

    @property
    def audit_key_file(self) -> Path:
        """Where the audit log's signing key lives: outside the database, readable by its owner only."""
        return self.audit_key or self.home / "keys" / "audit-ed25519.pem"


@dataclass(frozen=True)
class OidcSettings:
    """The organisation's OpenID Connect provider: people sign in there, and infragate maps them to its users."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    label: str = "single sign-on"

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


def _oidc() -> OidcSettings | None:
    names = ("INFRAGATE_OIDC_ISSUER", "INFRAGATE_OIDC_CLIENT_ID", "INFRAGATE_OIDC_CLIENT_SECRET")
    values = [os.environ.get(name, "").strip() for name in names]
    if not any(values):
        return None
    missing = [name for name, value in zip(names, values, strict=True) if not value]
    if missing:
        raise UsageError(f"single sign-on is half configured: {', '.join(missing)} not set", hint="Set all three.")
    issuer = values[0]
    local = issuer.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]"))
    if not issuer.startswith("https://") and not local:
        raise UsageError(
            f"INFRAGATE_OIDC_ISSUER is '{issuer}'", hint="An issuer is https://… (http only on 127.0.0.1)."
        )
    label = os.environ.get("INFRAGATE_OIDC_LABEL", "").strip() or "single sign-on"
    return OidcSettings(issuer=issuer, client_id=values[1], client_secret=values[2], label=label)


def default_home() -> Path:
    """The user's data directory (e.g. ~/.local/share/infragate): one store and one embedded AWS for a
    person, whatever directory a command runs in."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("infragate", appauthor=False))


def _check_home(home: Path) -> None:
    """INFRAGATE_HOME must be a directory infragate can write, or a path where one can be made."""
    hint = "Point INFRAGATE_HOME at a directory you can write (it is created if missing)."
    if home.exists() and not home.is_dir():
        raise UsageError(f"INFRAGATE_HOME ({home}) is a file, not a directory", hint=hint)
    existing = next((p for p in (home, *home.absolute().parents) if p.exists()), None)
    if existing is None or not existing.is_dir():
        raise UsageError(f"INFRAGATE_HOME ({home}) cannot be created: {existing} is not a directory", hint=hint)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"INFRAGATE_HOME ({home}) is not writable ({existing} is read-only to you)", hint=hint)


def load_settings() -> Settings:
    mode = os.environ.get("INFRAGATE_AWS_RETRY_MODE", "standard")
    if mode not in ("standard", "adaptive"):
        raise UsageError(f"INFRAGATE_AWS_RETRY_MODE is '{mode}'", hint="Use 'standard' or 'adaptive'.")
    attempts_text = os.environ.get("INFRAGATE_AWS_MAX_ATTEMPTS", "5")
    if not attempts_text.isdigit() or not 1 <= int(attempts_text) <= 20:
        raise UsageError(f"INFRAGATE_AWS_MAX_ATTEMPTS is '{attempts_text}'", hint="Use a whole number from 1 to 20.")
    home = Path(os.environ.get("INFRAGATE_HOME") or default_home())
    _check_home(home)
    database_url = os.environ.get("INFRAGATE_DATABASE_URL") or None
    queue_url = os.environ.get("INFRAGATE_QUEUE_URL") or None
    if queue_url is not None and not queue_url.startswith(("redis://", "rediss://", "unix://")):
        raise UsageError(f"INFRAGATE_QUEUE_URL is '{queue_url}'", hint="Use redis://127.0.0.1:6379/0 (or unset it).")
    lease_text = os.environ.get("INFRAGATE_JOB_LEASE", "30")
    if not lease_text.isdigit() or not 1 <= int(lease_text) <= 3600:
        raise UsageError(f"INFRAGATE_JOB_LEASE is '{lease_text}'", hint="Seconds, from 1 to 3600.")
    audit_key = os.environ.get("INFRAGATE_AUDIT_KEY") or None
    limit_text = os.environ.get("INFRAGATE_SIGN_IN_LIMIT", "10")
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= 100_000:
        raise UsageError(f"INFRAGATE_SIGN_IN_LIMIT is '{limit_text}'", hint="Sign-ins per minute, from 1 to 100000.")
    tools = os.environ.get("INFRAGATE_TOOLS") or None
    max_age_text = os.environ.get("INFRAGATE_WEBHOOK_MAX_AGE", "60")
    if not max_age_text.isdigit() or not 1 <= int(max_age_text) <= 10_080:
        raise UsageError(f"INFRAGATE_WEBHOOK_MAX_AGE is '{max_age_text}'", hint="Minutes, from 1 to 10080.")
    return Settings(
        github_webhook_secret=os.environ.get("INFRAGATE_GITHUB_WEBHOOK_SECRET", "").strip(),
        circleci_webhook_secret=os.environ.get("INFRAGATE_CIRCLECI_WEBHOOK_SECRET", "").strip(),
        webhook_max_age_minutes=int(max_age_text),
        tools=Path(tools) if tools else None,
        oidc=_oidc(),
        sign_in_limit=int(limit_text),
        audit_key=Path(audit_key) if audit_key else None,
        home=home,
        aws_retry_mode=mode,  # type: ignore[arg-type]
        aws_max_attempts=int(attempts_text),
        database_url=database_url,
        queue_url=queue_url,
        job_lease_seconds=int(lease_text),
    )
