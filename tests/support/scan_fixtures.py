"""Fixtures of the scan suites (loaded by tests/conftest.py): the vulnerable application over HTTPS for the
whole session, and wapiti installed once into a tools directory (INFRAGATE_TEST_TOOLS keeps it between runs)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import free_port
from tests.support.vulnerable_app import vulnerable_app
from tests.support.workloads import Served, certificates


@pytest.fixture(scope="session")
def vulnerable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The deliberately vulnerable application on 127.0.0.1 (HTTPS, a certificate for the example's host)."""
    ca, cert, key = certificates(tmp_path_factory.mktemp("vulnerable"))
    port = free_port()
    with vulnerable_app(port, certfile=cert, keyfile=key):
        yield Served(port, free_port(), ca)


@pytest.fixture(scope="session")
def tools_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's tools directory (INFRAGATE_TEST_TOOLS keeps one between runs): every test's infragate
    finds wapiti there, so it is installed at most once a session."""
    return Path(os.environ.get("INFRAGATE_TEST_TOOLS") or tmp_path_factory.mktemp("tools"))


@pytest.fixture(scope="session")
def wapiti_tools(tools_dir: Path) -> Path:
    """The tools directory with wapiti installed (the real install, from PyPI, once per session)."""
    from infragate.scan import wapiti

    wapiti.install(tools_dir, lambda _message: None)
    return tools_dir
