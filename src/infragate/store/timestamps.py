"""Times read back from the store: SQLite drops the time zone that PostgreSQL keeps; every time is UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
