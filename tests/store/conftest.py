"""Every store test runs on SQLite and on the PostgreSQL server at 127.0.0.1:5432 (trust auth, database test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from infragate.store import Store

# A schema of its own, so the tests never touch anything else in the shared database.
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dinfragate_test"


def _fresh_postgres() -> str:
    engine = sa.create_engine(POSTGRES)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA IF EXISTS infragate_test CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA infragate_test"))
    engine.dispose()
    return POSTGRES


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'infragate.db'}"
    return _fresh_postgres()


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store(store_url)
    opened.upgrade()
    yield opened
    opened.engine.dispose()
