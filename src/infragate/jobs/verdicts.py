"""What a finished job found wanting. A job can run to its end (state ``succeeded``) and still find the
environment failing: a pipeline step that waits on it (`jobs submit … --wait`) must fail then too, or the
pipeline would carry a failed stress test or scan on to production."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def verdict_failed(result: Mapping[str, Any]) -> str | None:
    """None when the job's verdict holds (or it has none), else why not, in a few words."""
    if result.get("passed") is False:
        missed = ", ".join(result.get("missed") or [])
        return "its verdict failed" + (f" (missed {missed})" if missed else "")
    if result.get("complete") is False:
        return "the scan was incomplete: " + ("; ".join(result.get("uncovered", [])) or "an endpoint failed")
    if result.get("aligned") is False:
        return "the live setup differs from the design: " + ", ".join(result.get("differs", []))
    if result.get("failing"):
        return f"{result['failing']} check(s) failing or unreadable"
    if result.get("new_severe"):
        return f"{result['new_severe']} new high or critical finding(s)"
    return None
