"""Times read back from the store: SQLite drops the time zone that PostgreSQL keeps; every time is UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def optional_utc(value: datetime | None) -> datetime | None:
    """``as_utc`` for a column that may be empty."""
    return as_utc(value) if value is not None else None
