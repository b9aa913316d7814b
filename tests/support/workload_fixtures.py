"""Fixtures shared by the infrastructure-test and stress-test suites (loaded by tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.workloads import Served, example_app


@pytest.fixture(scope="session")
def good(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The example's application served well, on 127.0.0.1, for the whole session."""
    with example_app(tmp_path_factory.mktemp("good")) as served:
        yield served
