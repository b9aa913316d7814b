"""Infrastructure tests as evidence: the ICP-3.2 criterion holds only on a passing run after the last apply;
failing checks become findings with their clause; a run that judged nothing is not a pass; the CLI and the
workload manager do it from the design, as a user would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest

from infragate.design import load_design
from infragate.settings import load_settings
from infragate.store import open_store
from infragate.workflow.infra_testing import InfraTesting, TestOptions
from infragate.workflow.records import ChangesSummary
from tests.support.acting import Person
from tests.support.cli import run_infragate
from tests.support.workloads import Served, example_app, example_design

DEV = "dara.dev@example.com"


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with example_app(tmp_path_factory.mktemp("broken"), "headers", "status") as served:
        yield served


def criterion(flow: Person) -> tuple[bool, str]:
    report = flow.gate_report("staging")
    found = next(c for cs in report.results.values() for c in cs if c.clause == "ICP-3.2")
    return found.met, found.detail


def test_a_passing_run_after_the_last_apply_meets_icp_3_2(good: Served, tmp_path: Path) -> None:
    flow = Person(open_store(load_settings()), load_design(example_design(tmp_path, good)), DEV)
    assert criterion(flow) == (False, "never tested: infragate test --env staging")
    testing = InfraTesting(flow.work, load_settings(), "staging")
    _run_id, summary = testing.record(testing.run(TestOptions()))
    assert summary.passed and summary.counts["passed"] >= 17
    met, detail = criterion(flow)
    assert met and "checks passed" in detail and "not applicable: 3" in detail  # http2, dns, exposure
    flow.record_run("staging", ChangesSummary(plan="sha256:" + "0" * 64), succeeded=True)  # an apply afterwards
    met, detail = criterion(flow)
    assert not met and "before the last apply" in detail


def test_failing_checks_become_findings_with_their_clause(broken: Served, tmp_path: Path) -> None:
    flow = Person(open_store(load_settings()), load_design(example_design(tmp_path, broken)), DEV)
    testing = InfraTesting(flow.work, load_settings(), "staging")
    _run_id, summary = testing.record(testing.run(TestOptions()))
    assert not summary.passed
    met, detail = criterion(flow)
    assert not met and detail.startswith(f"{len(summary.failing)} failing:")
    findings = {f.rule_id: f for f in flow.findings("staging")}
    assert findings["TEST-hsts"].clause == "ICP-1.1" and findings["TEST-status"].clause == "ICP-3.2"
    assert findings["TEST-status"].source == "test" and findings["TEST-status"].severity == "medium"


def test_a_run_that_judged_nothing_is_not_a_pass(tmp_path: Path) -> None:
    from tests.support.workloads import unpinned_production

    flow = Person(open_store(load_settings()), load_design(unpinned_production(tmp_path)), DEV)
    testing = InfraTesting(flow.work, load_settings(), "production")  # embedded, nothing pinned
    _run_id, summary = testing.record(testing.run(TestOptions()))
    assert not summary.passed and summary.counts["passed"] == 0
    report = flow.gate_report("production")
    found = next(c for cs in report.results.values() for c in cs if c.clause == "ICP-3.2")
    assert not found.met and found.detail == "nothing was judged: every check was not applicable"


def test_the_cli_tests_records_and_writes_junit(good: Served, broken: Served, tmp_path: Path) -> None:
    home = tmp_path / "home"
    design = example_design(tmp_path / "good-design", good)
    junit = tmp_path / "results.xml"
    passed = run_infragate(home, "test", "--env", "staging", "-d", str(design), "--format", "junit", "-o", str(junit))
    assert passed.returncode == 0, passed.stderr
    suites = ElementTree.parse(junit).getroot()
    assert {s.get("name") for s in suites} == {"http", "tls", "dns", "exposure", "cases"}
    assert sum(int(s.get("failures", "0")) for s in suites) == 0
    bad = example_design(tmp_path / "broken-design", broken)
    failed = run_infragate(home, "test", "--env", "staging", "-d", str(bad), "--format", "json", "--area", "http")
    assert failed.returncode == 1
    document = json.loads(failed.stdout)
    assert {c["area"] for c in document["checks"]} == {"http"} and document["counts"]["failed"] >= 6
    wrong = run_infragate(home, "test", "--env", "staging", "-d", str(bad), "--area", "smtp")
    assert wrong.returncode == 2 and "--area smtp is not an area" in wrong.stderr


def test_the_workload_serves_the_example_and_its_tests_pass(tmp_path: Path) -> None:
    home = tmp_path / "home"
    design = str(example_design(tmp_path / "example"))  # pinned to free ports, trusting its workload's CA
    untested = run_infragate(home, "test", "--env", "staging", "-d", design)
    assert untested.returncode == 2 and "infragate workload start --env staging" in untested.stderr
    started = run_infragate(home, "workload", "start", "--env", "staging", "-d", design)
    try:
        assert started.returncode == 0, started.stderr
        assert "serving on https 127.0.0.1:" in started.stdout
        assert run_infragate(home, "workload", "status", "--env", "staging", "-d", design).returncode == 0
        tested = run_infragate(home, "test", "--env", "staging", "-d", design)
        assert tested.returncode == 0, tested.stdout + tested.stderr
        assert "failed" not in tested.stderr.split(":", 1)[1]
        key = home / "workloads" / "webshop" / "staging" / "key.pem"
        assert key.stat().st_mode & 0o077 == 0
    finally:
        stopped = run_infragate(home, "workload", "stop", "--env", "staging", "-d", design)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert run_infragate(home, "workload", "status", "--env", "staging", "-d", design).returncode == 1
    nothing = run_infragate(home, "workload", "start", "--env", "production", "-d", design)
    assert nothing.returncode == 2 and "declares no workload" in nothing.stderr


def test_a_test_job_runs_the_same_checks_on_a_worker_and_records_them(good: Served, tmp_path: Path) -> None:
    from tests.support.jobs import submit

    design = example_design(tmp_path, good)
    flow = Person(open_store(load_settings()), load_design(design), DEV)
    flow.register_project()
    job = submit(load_settings(), project="webshop", environment="staging", kind="test", requested_by=DEV, here=True)
    assert job.state == "succeeded" and job.result["passed"] is True and job.result["failing"] == 0
    assert [link["kind"] for link in job.result["runs"]] == ["test"]
    assert criterion(flow)[0]
