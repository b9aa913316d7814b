"""A user's own locustfile (``stress.locustfile``): its User classes run against the environment's endpoint
with the design's load and the same exact recording; its connections go only where the design points; the
caps hold while it runs; and what cannot run is refused, naming the file and line, before Locust starts."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml

from infragate.design import load_design
from infragate.errors import DesignValidationError, UsageError
from infragate.settings import load_settings
from infragate.store import open_store
from infragate.stress.runner import StressError
from infragate.workflow.stress_testing import StressOptions, StressTesting
from tests.support.acting import Person
from tests.support.workloads import Served, example_design

DEV = "dara.dev@example.com"

SHOPPER = """
import os
from locust import FastHttpUser, constant_throughput, task


class Shopper(FastHttpUser):
    host = "https://shop.example.invalid"  # infragate aims it at the environment's endpoint
    wait_time = constant_throughput(2)

    @task(3)
    def browse(self):
        self.client.get("/", name="home page")

    @task
    def basket(self):
        self.client.post("/api/basket", json={"product_id": 2, "quantity": 1}, name="add to basket")
"""


def design_with_locustfile(folder: Path, served: Served, code: str, **stress: object) -> Path:
    path = example_design(folder, served)
    (folder / "load").mkdir()
    (folder / "load" / "shop.py").write_text(code)
    data = yaml.safe_load(path.read_text())
    staging = data["environments"]["staging"]
    staging["stress"] = {
        "locustfile": "load/shop.py",
        "rps_per_user": 2,
        "profile": {"kind": "ramp", "ramp_s": 1, "hold_s": 6},
        "caps": {"max_users": 100, "max_rps": 200, "max_duration_s": 120},
        **stress,
    }
    staging["overrides"]["targets"] |= {"peak_rps": 20}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def stress_testing_of(path: Path) -> StressTesting:
    return StressTesting(Person(open_store(load_settings()), load_design(path), DEV).work, load_settings(), "staging")


def test_its_users_run_with_the_designs_load_and_exact_recording(good: Served, tmp_path: Path) -> None:
    outcome = stress_testing_of(design_with_locustfile(tmp_path, good, SHOPPER)).run(StressOptions(workers=1))
    results = outcome.results
    assert set(results.names) == {"home page", "add to basket"}  # its names, on the declared endpoint
    assert results.overall.count == results.locust_overall.count > 50
    assert results.names["home page"].count > results.names["add to basket"].count  # tasks 3 : 1
    assert results.names["add to basket"].locust.p50 is not None  # Locust's figures found for a POST too
    assert results.overall.errors == 0 and results.capped is None
    assert outcome.passed, [v.detail for v in outcome.verdicts]
    assert (outcome.folder / "user_locustfile.py").read_text() == SHOPPER  # what ran is kept with the results


def test_its_own_connections_go_only_where_the_design_points(
    good: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A listener on another loopback address: a connection reaching it would be traffic the design did not
    # declare. The locustfile's own code tries it, once per user, and notes what happened.
    outsider = socket.socket()
    outsider.bind(("127.0.0.2", 0))
    outsider.listen(8)
    outsider.setblocking(False)
    notes = tmp_path / "notes.txt"
    monkeypatch.setenv("SHOP_NOTES", str(notes))
    port = outsider.getsockname()[1]
    stray = (
        SHOPPER
        + f"""

class Stray(Shopper):
    def on_start(self):
        import socket
        for attempt in (lambda: socket.create_connection(("127.0.0.2", {port}), timeout=2),
                        lambda: socket.socket().connect(("127.0.0.2", {port}))):
            try:
                attempt()
                outcome = "connected"
            except OSError as exc:
                outcome = str(exc)
            with open(os.environ["SHOP_NOTES"], "a") as notes:
                notes.write(outcome + "\\n")
"""
    )
    try:
        stress_testing_of(design_with_locustfile(tmp_path, good, stray)).run(StressOptions(workers=1))
        with pytest.raises(BlockingIOError):
            outsider.accept()  # nobody came
    finally:
        outsider.close()
    lines = notes.read_text().splitlines()
    assert lines and all("127.0.0.2 is not a declared endpoint of this environment" in line for line in lines)


@pytest.mark.parametrize(
    ("caps", "broken"),
    [({"max_users": 100, "max_rps": 40}, "over max_rps 40"), ({"max_requests": 150}, "over max_requests 150")],
)
def test_a_locustfile_over_the_caps_is_stopped_and_does_not_pass(
    good: Served, tmp_path: Path, caps: dict[str, int], broken: str
) -> None:
    # Each browse makes ten requests, where the design says a user makes 2 a second: 11 users make ~170/s,
    # where the plan (20 requests/s for 7 s, 140 requests) is within both caps.
    greedy = SHOPPER.replace(
        'self.client.get("/", name="home page")',
        'for _ in range(10):\n            self.client.get("/healthz", name="home page")',
    )
    path = design_with_locustfile(tmp_path, good, greedy, caps=caps)
    outcome = stress_testing_of(path).run(StressOptions(workers=1))
    assert outcome.results.capped is not None and outcome.results.capped.cap == broken.split()[1]
    verdict = next(v for v in outcome.verdicts if v.name == "caps")
    assert not verdict.passed and not outcome.passed
    assert verdict.detail.startswith("stopped: ") and broken in verdict.detail
    assert outcome.results.duration_s < outcome.scenario.duration_s  # stopped early, not run to the end


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("from locust import FastHttpUser\nclass Shopper(FastHttpUser)\n    pass\n", r"load/shop\.py:2: "),
        (
            SHOPPER + "\nfrom locust import LoadTestShape\nclass Surge(LoadTestShape):\n    pass\n",
            r"load/shop\.py:\d+: Surge is a LoadTestShape, and the load comes from the design",
        ),
        ("import locust\n", r"load/shop\.py defines no Locust User class"),
    ],
)
def test_what_cannot_run_is_refused_before_locust_starts(good: Served, tmp_path: Path, code: str, message: str) -> None:
    testing = stress_testing_of(design_with_locustfile(tmp_path, good, code))
    with pytest.raises(UsageError, match=message):
        testing.run(StressOptions(workers=1))
    assert not (load_settings().home / "stress").exists()


def test_a_missing_file_and_requests_beside_it_are_clear_errors(good: Served, tmp_path: Path) -> None:
    path = design_with_locustfile(tmp_path, good, SHOPPER)
    (tmp_path / "load" / "shop.py").unlink()
    with pytest.raises(UsageError, match=r"environments\.staging\.stress\.locustfile: .*shop\.py is not a file"):
        stress_testing_of(path).scenario(StressOptions())
    both = design_with_locustfile(tmp_path / "both", good, SHOPPER, requests=[{"name": "home", "path": "/"}])
    with pytest.raises(DesignValidationError) as refused:
        load_design(both)
    assert any("give requests or a locustfile, not both" in str(p) for p in refused.value.problems)
    assert any("infragate.yaml:" in str(p) for p in refused.value.problems)  # where in the design


def test_its_content_is_part_of_the_plan_and_a_changed_file_does_not_run(good: Served, tmp_path: Path) -> None:
    path = design_with_locustfile(tmp_path, good, SHOPPER)
    testing = stress_testing_of(path)
    planned = testing.scenario(StressOptions())
    assert planned.locustfile_sha256 and planned.locustfile_sha256.startswith("sha256:")
    moved = design_with_locustfile(tmp_path / "elsewhere", good, SHOPPER)
    assert stress_testing_of(moved).scenario(StressOptions()).digest == planned.digest  # where it lies is not the plan
    (tmp_path / "load" / "shop.py").write_text(SHOPPER.replace("@task(3)", "@task(4)"))
    assert testing.scenario(StressOptions()).digest != planned.digest  # its content is
    from infragate.stress import runner

    with pytest.raises(StressError, match="changed after its stress plan was made"):
        runner.prepare(planned, tmp_path / "run")
    assert not (tmp_path / "run" / "user_locustfile.py").exists()
