"""Stress tests against the example's application on 127.0.0.1: Locust with a master and two worker
processes, every response time in the HdrHistogram (the same count as Locust's), SLO verdicts that pass and
that miss, findings and the ICP-3.3 criterion, and the refusals before anything is sent."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from infragate.design import load_design
from infragate.errors import UsageError
from infragate.settings import load_settings
from infragate.store import open_store
from infragate.store.findings import Observed
from infragate.stress.runner import locust_warnings
from infragate.workflow.records import StressSummary
from infragate.workflow.stress_testing import ApproveStressPlan, StressOptions, StressTesting
from tests.support.acting import Person
from tests.support.cli import run_infragate
from tests.support.workloads import Served, example_app, example_design, free_port, unpinned_production

DEV = "dara.dev@example.com"
SHORT = {"kind": "ramp", "ramp_s": 1, "hold_s": 6}


def design_with(folder: Path, served: Served, **targets: float) -> Path:
    path = example_design(folder, served)
    data = yaml.safe_load(path.read_text())
    staging = data["environments"]["staging"]
    staging["stress"]["profile"] = SHORT
    staging["overrides"]["targets"] |= {"peak_rps": 20, **targets}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def criterion(flow: Person) -> tuple[bool, str]:
    found = next(c for cs in flow.gate_report("staging").results.values() for c in cs if c.clause == "ICP-3.3")
    return found.met, found.detail


def test_two_workers_measure_every_request_and_the_slos_hold(good: Served, tmp_path: Path) -> None:
    flow = Person(open_store(load_settings()), load_design(design_with(tmp_path, good)), DEV)
    assert criterion(flow) == (False, "never stress-tested: infragate stress --env staging")
    testing = StressTesting(flow.work, load_settings(), "staging")
    outcome = testing.run(StressOptions(workers=2))
    results = outcome.results
    assert results.overall.count == results.locust_overall.count > 100  # nothing lost between processes
    assert set(results.names) == {"catalogue", "products api", "product", "health"}
    assert results.names["catalogue"].count > results.names["health"].count  # weights 3 : 1
    assert all((s.p50 or 0) <= (s.p95 or 0) <= (s.max or 0) and s.p50 is not None for s in results.names.values())
    assert [v.name for v in outcome.verdicts] == ["load", "p95", "p99", "error rate"] and outcome.passed
    assert outcome.not_evaluated == "" and outcome.results.hold.unanswered == 0  # answered: judged
    assert max(w.users for w in results.windows) == outcome.scenario.peak_users
    assert (
        results.cloudwatch is not None and results.cloudwatch.status == "not applicable"
    )  # embedded AWS is not running: nothing applied
    testing.record(outcome)
    met, detail = criterion(flow)
    assert met and "every SLO met" in detail


def test_one_worker_on_a_busy_machine_still_sends_its_load(good: Served, tmp_path: Path) -> None:
    """With both cores kept busy by two other processes, one local worker still sends the planned load and the
    run says what it held: it runs in Locust's single process, with no master's heartbeat to miss (locust issue
    3043 ended such runs with 0 requests)."""
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        flow = Person(open_store(load_settings()), load_design(design_with(tmp_path, good)), DEV)
        outcome = StressTesting(flow.work, load_settings(), "staging").run(StressOptions(workers=1))
    finally:
        for process in busy:
            process.kill()
            process.wait()
    assert outcome.results.overall.count > 20, outcome.warnings
    assert outcome.held_rps is not None and outcome.held_rps > 0
    assert not any("missing" in warning.lower() for warning in outcome.warnings), outcome.warnings


def test_a_run_that_got_no_answer_is_not_evaluated_and_settles_no_finding(good: Served, tmp_path: Path) -> None:
    """The workload is down: every request is refused. That measured nothing about the system (no latency, no
    error rate of its own), so it is "not evaluated" with its cause: no SLO finding is opened, none is closed,
    and the criterion says so, rather than a developer's failure at "0 requests/s"."""
    down = Served(free_port(), free_port(), good.ca_file)  # nothing listens there
    flow = Person(open_store(load_settings()), load_design(design_with(tmp_path, down)), DEV)
    earlier = Observed("stress-earlier", "STRESS-p95", "staging", "medium", "p95 missed before", "real load", "ICP-3.3")
    flow.record_run(
        "staging", StressSummary(passed=False), succeeded=False, findings=[earlier], source="stress"
    )  # a finding real load found earlier
    testing = StressTesting(flow.work, load_settings(), "staging")
    outcome = testing.run(StressOptions(workers=1))
    assert outcome.results.hold.count > 0 and outcome.results.hold.unanswered == outcome.results.hold.count
    assert "got an answer from https://staging.webshop.example.com" in outcome.not_evaluated
    _run, summary = testing.record(outcome)
    assert summary.not_evaluated and not summary.passed
    open_rules = sorted(f.rule_id for f in flow.findings("staging"))
    assert open_rules == ["STRESS-p95"]  # the earlier one stays open; no STRESS-load or error-rate finding
    met, detail = criterion(flow)
    assert not met and detail.startswith("not evaluated: the latest stress run measured nothing (none of its")


def test_locusts_own_warnings_are_read_from_its_log(tmp_path: Path) -> None:
    log = tmp_path / "locust.log"
    log.write_text(
        "[2026-12-08 06:40:00,101] host/WARNING/locust.runners: Worker w1 missed its heartbeat: missing.\n"
        "[2026-12-08 06:40:01,101] host/INFO/locust.main: Starting Locust 2.47.0\n"
        "Type     Name   # reqs\n"
        "[2026-12-08 06:40:02,101] host/ERROR/locust.user.task: boom\n"
        "[2026-12-08 06:40:03,101] host/WARNING/locust.runners: Worker w1 missed its heartbeat: missing.\n"
    )
    assert locust_warnings(log) == (
        "WARNING/locust.runners: Worker w1 missed its heartbeat: missing.",
        "ERROR/locust.user.task: boom",
    )  # each once, in order; information and the summary table are not warnings
    assert locust_warnings(tmp_path / "absent.log") == ()


def test_a_missed_slo_is_a_finding_and_keeps_the_criterion_unmet(good: Served, tmp_path: Path) -> None:
    flow = Person(open_store(load_settings()), load_design(design_with(tmp_path, good, p95_ms=0.05, p99_ms=0.1)), DEV)
    testing = StressTesting(flow.work, load_settings(), "staging")
    outcome = testing.run(StressOptions(workers=1))
    missed = {v.name for v in outcome.verdicts if not v.passed}
    assert missed == {"p95", "p99"}
    p95 = next(v for v in outcome.verdicts if v.name == "p95")
    assert p95.measured is not None and p95.measured > 0.05 and "target 0.05 ms" in p95.detail
    testing.record(outcome)
    met, detail = criterion(flow)
    assert not met and detail.startswith("missed: p95")
    findings = {f.rule_id: f for f in flow.findings("staging")}
    assert findings["STRESS-p95"].clause == "ICP-3.3" and findings["STRESS-p95"].source == "stress"


def test_caps_and_undeclared_targets_are_refused_before_anything_runs(good: Served, tmp_path: Path) -> None:
    path = design_with(tmp_path, good)
    flow = Person(open_store(load_settings()), load_design(path), DEV)
    with pytest.raises(UsageError, match=r"exceeds its caps: .*over max_rps 200"):
        StressTesting(flow.work, load_settings(), "staging").scenario(StressOptions(peak_rps=500))
    unpinned = unpinned_production(tmp_path / "unpinned")
    production = Person(open_store(load_settings()), load_design(unpinned), DEV)
    with pytest.raises(UsageError, match="must be pinned to a local address"):
        StressTesting(production.work, load_settings(), "production").scenario(StressOptions())
    assert not (load_settings().home / "stress").exists()  # no run folder, no Locust


def test_the_cli_runs_records_and_reports_for_ci(good: Served, tmp_path: Path) -> None:
    home = tmp_path / "home"
    design = str(design_with(tmp_path / "design", good))
    done = run_infragate(home, "stress", "--env", "staging", "-d", design, "--workers", "1", "--format", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["passed"] and document["results"]["hold"]["count"] > 0
    junit = tmp_path / "stress.xml"
    tight = str(design_with(tmp_path / "tight", good, p95_ms=0.05))
    missed = run_infragate(home, "stress", "--env", "staging", "-d", tight, "-w", "1", "-f", "junit", "-o", str(junit))
    assert missed.returncode == 1 and 'failures="1"' in junit.read_text() and "ICP-3.3" in junit.read_text()
    wrong = run_infragate(home, "stress", "--env", "staging", "-d", design, "--profile", "tsunami")
    assert wrong.returncode == 2 and "--profile is 'tsunami'" in wrong.stderr


def test_production_load_needs_a_leads_approval_of_this_exact_plan(good: Served, tmp_path: Path) -> None:
    from infragate.errors import RefusedError
    from infragate.workflow.roles import RoleError
    from tests.support.people import seat_owners

    path = design_with(tmp_path, good)
    data = yaml.safe_load(path.read_text())
    data["environments"]["staging"]["production"] = True  # the same environment, as production
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    store = open_store(load_settings())
    seat_owners(store, load_design(path))
    developer = StressTesting(Person(store, load_design(path), DEV).work, load_settings(), "staging")
    with pytest.raises(RefusedError, match="needs a lead's approval of its stress plan sha256:"):
        developer.run(StressOptions(workers=1))
    assert not (load_settings().home / "stress").exists()  # refused before Locust started
    design = load_design(path)

    def approval(person: str, comment: str) -> ApproveStressPlan:
        return ApproveStressPlan(project="webshop", environment="staging", design_digest=design.digest, comment=comment)

    with pytest.raises(RoleError, match="may not approve a plan"):
        Person(store, design, DEV).do(approval(DEV, "me"))
    approved = Person(store, design, "lena.lead@example.com").do(approval("lena.lead@example.com", "off-peak"))
    planned = developer.scenario(StressOptions(), to_run=False)
    assert planned.digest == approved.digest
    developer.require_approval(planned)  # now it may run
    heavier = developer.scenario(StressOptions(peak_rps=30))
    assert heavier.digest != approved.digest
    with pytest.raises(RefusedError):
        developer.require_approval(heavier)  # another load is another plan


def test_find_limit_reports_where_it_broke_and_on_what(tmp_path: Path) -> None:
    with example_app(tmp_path / "broken-app", "status") as failing:  # every catalogue request answers 500
        path = design_with(tmp_path / "broken", failing)
        data = yaml.safe_load(path.read_text())
        staging = data["environments"]["staging"]
        staging["stress"]["profile"] = {"kind": "step", "step_users": 2, "step_s": 2, "hold_s": 5}
        staging["stress"]["caps"] = {"max_users": 6, "max_rps": 12, "max_duration_s": 60}
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        flow = Person(open_store(load_settings()), load_design(path), DEV)
        testing = StressTesting(flow.work, load_settings(), "staging")
        assert [s["users"] for s in testing.scenario(StressOptions(find_limit=True)).stages] == [2, 4, 6]
        outcome = testing.run(StressOptions(workers=1, find_limit=True))
    limit = outcome.limit
    assert limit is not None and [s.users for s in limit.steps] == [2, 4, 6]
    assert limit.broke_at is not None and limit.broke_at.index == 0 and "errors" in limit.broke_at.broken
    assert limit.last_sustainable is None and "broke at 4 requests/s offered (2 users) on errors" in limit.describe()
    (verdict,) = outcome.verdicts
    assert verdict.name == "sustainable at peak_rps" and not verdict.passed
    _run_id, summary = testing.record(outcome)
    assert summary.profile == "find-limit" and not summary.passed


def test_the_html_report_draws_its_charts_without_script(good: Served, tmp_path: Path) -> None:
    home = tmp_path / "home"
    design = str(design_with(tmp_path / "design", good))
    page = tmp_path / "stress.html"
    done = run_infragate(home, "stress", "--env", "staging", "-d", design, "-w", "1", "-f", "html", "-o", str(page))
    assert done.returncode == 0, done.stderr
    html = page.read_text()
    assert html.count("<polyline") >= 6 and "<script" not in html  # rps, users, p50/p95/p99, errors, distribution
    assert "Latency distribution" in html and "catalogue" in html and "met" in html


def test_ctrl_c_stops_the_run_and_keeps_what_was_measured(good: Served, tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    path = design_with(tmp_path, good)
    data = yaml.safe_load(path.read_text())
    data["environments"]["staging"]["stress"]["profile"] = {"kind": "ramp", "ramp_s": 1, "hold_s": 100}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    env = {**os.environ, "INFRAGATE_HOME": str(tmp_path / "home"), "COLUMNS": "200"}
    command = [
        sys.executable,
        "-m",
        "infragate",
        "stress",
        "--env",
        "staging",
        "-d",
        str(path),
        "-w",
        "1",
        "-f",
        "json",
    ]
    running = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while not list((tmp_path / "home").glob("stress/*/*/*/results.json.partial")) and time.monotonic() < deadline:
        time.sleep(0.5)  # something has been measured
    os.killpg(running.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole foreground group
    out, err = running.communicate(timeout=120)
    assert running.returncode == 1, err
    document = json.loads(out)
    assert document["interrupted"] and not document["passed"] and document["results"]["overall"]["count"] > 0
    assert "was interrupted" in err
    flow = Person(open_store(load_settings()), load_design(path), DEV)
    met, detail = criterion(flow)
    assert not met and "interrupted" in detail
