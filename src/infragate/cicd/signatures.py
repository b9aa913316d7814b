"""Webhook signatures: GitHub's ``X-Hub-Signature-256`` and CircleCI's ``circleci-signature`` (v1), both an
HMAC-SHA256 of the raw body, compared in constant time (``service-apis.md`` §3.3, §4.4)."""

from __future__ import annotations

import hashlib
import hmac


def hmac_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def github_signature(secret: str, body: bytes) -> str:
    """The header value GitHub sends: ``sha256=<hex>``."""
    return "sha256=" + hmac_hex(secret, body)


def github_valid(secret: str, body: bytes, header: str | None) -> bool:
    if not secret or not header or not header.startswith("sha256="):
        return False
    return hmac.compare_digest(github_signature(secret, body), header.strip())


def circleci_signature(secret: str, body: bytes) -> str:
    """The header value CircleCI sends: ``v1=<hex>``."""
    return "v1=" + hmac_hex(secret, body)


def circleci_valid(secret: str, body: bytes, header: str | None) -> bool:
    """Only the latest version we know (v1) is checked, whatever else the header lists: CircleCI's advice
    against downgrades. A header without v1 is not valid."""
    if not secret or not header:
        return False
    versions = dict(part.strip().split("=", 1) for part in header.split(",") if "=" in part)
    given = versions.get("v1")
    return given is not None and hmac.compare_digest(hmac_hex(secret, body), given.strip())
