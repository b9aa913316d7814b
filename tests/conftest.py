"""Shared fixtures: the example designs, and a way to build variants of the compliant webshop design."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from infragate.aws import AwsConnection, AwsTargetSpec, EmbeddedAws
from infragate.design import Design, load_design, parse_design

ROOT = Path(__file__).resolve().parents[1]
WEBSHOP = ROOT / "examples" / "webshop" / "infragate.yaml"
INSECURE = ROOT / "examples" / "insecure" / "infragate.yaml"
SCHEMAS = Path(__file__).resolve().parent / "fixtures" / "schemas"


def deep_merge(base: Any, patch: Any) -> Any:
    """Mappings merge, ``None`` deletes, anything else replaces (same semantics as design overrides)."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = deep_merge(merged.get(key), value)
        return merged
    return copy.deepcopy(patch)


@pytest.fixture(scope="session")
def webshop_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(WEBSHOP.read_text())
    return data


@pytest.fixture
def webshop_variant(webshop_data: dict[str, Any]) -> Callable[[dict[str, Any]], Design]:
    """Build the webshop design with ``patch`` deep-merged into it."""

    def build(patch: dict[str, Any]) -> Design:
        text = yaml.safe_dump(deep_merge(webshop_data, patch), sort_keys=False)
        return parse_design(text, "variant.yaml")

    return build


pytest_plugins = ["tests.support.workload_fixtures", "tests.support.scan_fixtures", "tests.support.webhook"]


@pytest.fixture(autouse=True)
def fresh_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tools_dir: Path) -> Path:
    """Every test (and every infragate process it starts) gets an empty store of its own; the scanners'
    tools directory is the session's (wapiti is installed at most once per session)."""
    monkeypatch.setenv("INFRAGATE_TOOLS", str(tools_dir))
    database = tmp_path / "store.db"
    monkeypatch.setenv("INFRAGATE_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("INFRAGATE_HOME", str(tmp_path / "home"))  # never the user's data directory
    monkeypatch.delenv("INFRAGATE_USER", raising=False)
    monkeypatch.setenv("INFRAGATE_CONFIG", str(tmp_path / "config" / "server.json"))  # never the user's login
    monkeypatch.delenv("INFRAGATE_SERVER", raising=False)
    monkeypatch.delenv("INFRAGATE_TOKEN", raising=False)
    for service in ("GITHUB", "CIRCLECI"):  # the CI/CD services: only where a test points them at a fake
        for setting in ("TOKEN", "URL", "WEBHOOK_SECRET"):
            monkeypatch.delenv(f"INFRAGATE_{service}_{setting}", raising=False)
    return database


@pytest.fixture(scope="session")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedAws]:
    """One real moto server daemon on 127.0.0.1 for the whole test session."""
    daemon = EmbeddedAws(tmp_path_factory.mktemp("infragate-home"))
    daemon.ensure()
    yield daemon
    daemon.stop()
    _stop_workloads(daemon.home)


def _stop_workloads(home: Path) -> None:
    """Workloads a test started (`infragate run` starts the example's) do not outlive the session."""
    import json
    import os
    import signal

    for state in home.glob("workloads/*/*/state.json"):
        with contextlib.suppress(ValueError, OSError, KeyError):
            os.killpg(int(json.loads(state.read_text())["pid"]), signal.SIGTERM)


@pytest.fixture
def aws(embedded: EmbeddedAws) -> Iterator[AwsConnection]:
    """A connection to an empty embedded account."""
    embedded.reset()
    yield AwsConnection(AwsTargetSpec(region="eu-west-1", endpoint_url=embedded.ensure()))


@pytest.fixture
def seated(fresh_store: Path) -> None:
    """The webshop design's owners seated as the project's members by an admin, in the test's store (as
    `make run` does with `infragate admin create` and `project init --apply-members`)."""
    from infragate.settings import load_settings
    from infragate.store import open_store
    from tests.support.people import seat_owners

    store = open_store(load_settings())
    seat_owners(store, load_design(WEBSHOP))
    store.engine.dispose()
