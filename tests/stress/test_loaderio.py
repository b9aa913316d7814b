"""The Loader.io engine against a local fake of its API v2: registration, verification (and what to do when
it fails), pagination, a 429 and the error shape, a test run to its result; and the verdicts it can give
(counts and an average only: p95 and p99 are never passed on it)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from infragate.design import load_design
from infragate.errors import UsageError
from infragate.settings import load_settings
from infragate.store import open_store
from infragate.stress import loaderio
from infragate.stress.loaderio import LoaderIoError
from infragate.workflow.stress_testing import StressOptions, StressTesting
from tests.conftest import WEBSHOP
from tests.support import fake_loaderio
from tests.support.acting import Person

HOST = "www.webshop.example.com"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[fake_loaderio.FakeLoaderIo]:
    monkeypatch.setattr(loaderio, "POLL_S", 0.05)
    with fake_loaderio.running() as running:
        monkeypatch.setenv("INFRAGATE_LOADERIO_URL", f"{running.url}/v2")
        monkeypatch.setenv("INFRAGATE_LOADERIO_KEY", fake_loaderio.KEY)
        yield running


def real_aws_design(folder: Path) -> Path:
    """The example with production in a real account (Loader.io loads public endpoints only)."""
    data = yaml.safe_load(WEBSHOP.read_text())
    production = data["environments"]["production"]
    production["aws"] = {"account_id": "123456789012"}
    # as the example says for a real account: the names resolve, so no pins, local CA or workload
    production["endpoints"] = [endpoint["url"] for endpoint in production["endpoints"]]
    del production["ca_bundle"], production["workload"]
    production["stress"] = {"profile": {"kind": "ramp", "ramp_s": 5, "hold_s": 30}}
    path = folder / "infragate.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def stress_of(path: Path) -> StressTesting:
    return StressTesting(
        Person(open_store(load_settings()), load_design(path), "dara.dev@example.com").work,
        load_settings(),
        "production",
    )


def test_a_run_registers_verifies_and_maps_loaderio_results(fake: fake_loaderio.FakeLoaderIo, tmp_path: Path) -> None:
    fake.apps += [{"app": f"other{i}.example", "app_id": f"id{i}", "status": "verified"} for i in range(3)]
    fake.verifiable.add(HOST)
    fake.throttle_next = True  # the first call is rate limited once
    testing = stress_of(real_aws_design(tmp_path))
    scenario = testing.scenario(StressOptions())
    outcome = testing._loaderio(scenario, tmp_path / "run")  # production needs an approved plan to .run()
    assert "GET /v2/apps" in fake.calls and fake.calls.count("GET /v2/apps") >= 2  # rate limited, then paged
    assert any(call.endswith("/verify") for call in fake.calls)
    (test,) = fake.tests.values()
    assert test["spec"]["total"] == 400 and test["spec"]["urls"][0]["url"] == f"https://{HOST}/"
    verdicts = {v.name: v for v in outcome.verdicts}
    assert verdicts["load"].passed and verdicts["error rate"].passed
    assert not verdicts["p95"].passed and verdicts["p95"].measured is None  # an average is not a percentile
    assert "only a mean of 42 ms" in verdicts["p95"].detail and not outcome.passed


def test_an_unverified_domain_says_how_to_verify_it(fake: fake_loaderio.FakeLoaderIo, tmp_path: Path) -> None:
    testing = stress_of(real_aws_design(tmp_path))
    with pytest.raises(LoaderIoError, match=re.escape(f"has not verified {HOST}")) as refused:
        testing._loaderio(testing.scenario(StressOptions()), tmp_path / "run")
    assert "Serve the token loaderio-" in refused.value.hint and not fake.tests


def test_a_wrong_key_and_local_targets_are_refused(
    fake: fake_loaderio.FakeLoaderIo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INFRAGATE_LOADERIO_KEY", "wrong")
    testing = stress_of(real_aws_design(tmp_path))
    with pytest.raises(LoaderIoError, match="refused the API key"):
        testing._loaderio(testing.scenario(StressOptions()), tmp_path / "run")
    staging = StressTesting(
        Person(open_store(load_settings()), load_design(WEBSHOP), "dara.dev@example.com").work,
        load_settings(),
        "staging",
    )
    with pytest.raises(UsageError, match=re.escape("Loader.io loads https://staging.webshop.example.com/ from")):
        staging.run(StressOptions(engine="loaderio"))


def test_a_locustfile_scenario_is_refused_before_loaderio_is_called(
    fake: fake_loaderio.FakeLoaderIo, tmp_path: Path
) -> None:
    path = real_aws_design(tmp_path)
    (tmp_path / "shop.py").write_text("from locust import FastHttpUser\n\nclass Shopper(FastHttpUser):\n    pass\n")
    data = yaml.safe_load(path.read_text())
    data["environments"]["production"]["stress"]["locustfile"] = "shop.py"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(UsageError, match=r"Loader\.io runs URLs, not Python"):
        stress_of(path).run(StressOptions(engine="loaderio"))
    assert fake.calls == [] and not (load_settings().home / "stress").exists()
