"""Scans as evidence: the ICP-4.1 criterion on a clean scan and on what must fail it, findings kept across
scans by fingerprint (fixed only by a complete scan, reopened when they come back), who may scan production,
SARIF that validates against the published schema, and the CLI's refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import jsonschema
import pytest
from sqlalchemy import select

from infragate.design import load_design
from infragate.scan.report import to_junit, to_sarif
from infragate.settings import load_settings
from infragate.store import open_store
from infragate.store.schema import Finding
from infragate.workflow import gates
from infragate.workflow.records import RunKind, ScanSummary
from infragate.workflow.roles import RoleError
from infragate.workflow.scanning import Scanning, ScanOptions
from infragate.workflow.stages.security import owasp_scanned
from tests.conftest import SCHEMAS
from tests.support.acting import Person
from tests.support.cli import run_infragate
from tests.support.workloads import Served, example_design

DEV, SEC = "dara.dev@example.com", "sam.sec@example.com"
OWN = {"engine": "own", "rate": 500}
URL = "https://staging.webshop.example.com/"


def scan(folder: Path, served: Served, actor: str = DEV, **options: object) -> tuple[Person, Scanning]:
    design = load_design(example_design(folder, served, scan=OWN, **options))
    flow = Person(open_store(load_settings()), design, actor)
    return flow, Scanning(flow.work, load_settings(), "staging")


def criterion(flow: Person) -> tuple[bool, str]:
    found = next(c for cs in flow.gate_report("staging").results.values() for c in cs if c.clause == "ICP-4.1")
    return found.met, found.detail


def scan_findings(flow: Person) -> dict[str, str]:
    with flow.store.session() as session:
        rows = session.scalars(select(Finding).where(Finding.source == "scan"))
        return {row.component: row.status for row in rows}


@pytest.mark.usefixtures("seated")
def test_a_complete_clean_scan_meets_icp_4_1(good: Served, tmp_path: Path) -> None:
    flow, scanning = scan(tmp_path, good)
    assert criterion(flow) == (False, "never scanned: infragate scan --env staging")
    plan = scanning.plan(ScanOptions())
    report = scanning.run(plan)
    assert report.complete and report.findings == []
    assert report.coverage[0].pages == 5  # "/" and the design's GET paths: health, test cases, stress requests
    scanning.record(plan, report)
    met, detail = criterion(flow)
    assert met and "1 endpoint(s) covered" in detail


@pytest.mark.usefixtures("seated")
def test_findings_are_kept_across_scans_fixed_only_by_a_complete_scan_and_reopened(
    good: Served, vulnerable: Served, tmp_path: Path
) -> None:
    flow, scanning = scan(tmp_path / "vulnerable", vulnerable)
    plan = scanning.plan(ScanOptions())
    scanning.record(plan, scanning.run(plan))
    first = scan_findings(flow)
    assert first[URL + ".env"] == "open" and set(first.values()) == {"open"}
    met, detail = criterion(flow)
    assert not met and detail.startswith("open: SCAN-A01-CWE-538")

    # the same host now serves the fixed application; a scan stopped by its request limit proves nothing
    _, partial = scan(tmp_path / "partial", good)
    partial_plan = partial.plan(ScanOptions(max_requests=12))
    partial.record(partial_plan, partial.run(partial_plan))
    assert set(scan_findings(flow).values()) == {"open"}
    assert (
        criterion(flow)[1] == "the latest scan was incomplete (an endpoint failed or a limit stopped it): not evidence"
    )

    _, fixed = scan(tmp_path / "fixed", good)
    fixed_plan = fixed.plan(ScanOptions())
    fixed.record(fixed_plan, fixed.run(fixed_plan))
    assert set(scan_findings(flow).values()) == {"fixed"}
    assert criterion(flow)[0]

    scanning.record(plan, scanning.run(plan))  # the flaws are back
    assert scan_findings(flow) == first  # the same findings, reopened, not new ones


def test_icp_4_1_needs_a_recent_complete_scan_of_every_declared_endpoint() -> None:
    now = datetime.now(UTC)

    def judged(at: datetime, endpoints: tuple[str, ...] = (URL,), **summary: object) -> tuple[bool, str]:
        recorded = ScanSummary(engine="own", profile="quick", **({"complete": True, "covered": [URL]} | summary))
        facts = gates.RunFacts(RunKind.SCAN, "succeeded", at, recorded)
        evidence = gates.Evidence(
            "staging", False, "d", (), (), (), (), False, runs={RunKind.SCAN: facts}, endpoints=endpoints
        )
        return owasp_scanned(evidence, now)

    assert judged(now - timedelta(days=1))[0]  # the compliant decoy
    assert judged(now - timedelta(days=7)) == (
        False,
        f"the latest scan is from {(now - timedelta(days=7)):%Y-%m-%d}, older than 7 days: scan again",
    )
    assert not judged(now, complete=False)[0]
    assert judged(now, (URL, "https://api.example/"))[1] == "the latest scan did not cover https://api.example/"
    assert not judged(now, ())[0]  # nothing declared: nothing a scan could judge, never a pass


@pytest.mark.usefixtures("seated")
def test_production_is_scanned_by_security_only(good: Served, tmp_path: Path) -> None:
    _flow, by_developer = scan(tmp_path / "dev", good, production=True)
    with pytest.raises(RoleError, match="run a security scan against production"):
        by_developer.run(by_developer.plan(ScanOptions()))
    _flow, by_security = scan(tmp_path / "sec", good, actor=SEC, production=True)
    assert by_security.run(by_security.plan(ScanOptions())).complete


def test_sarif_validates_and_junit_fails_on_findings(vulnerable: Served, tmp_path: Path) -> None:
    _flow, scanning = scan(tmp_path, vulnerable)
    report = scanning.run(scanning.plan(ScanOptions()))
    sarif = to_sarif(report, "0.1.0")
    jsonschema.validate(sarif, json.loads((SCHEMAS / "sarif-2.1.0.schema.json").read_text()))
    assert len(sarif["runs"][0]["results"]) == len(report.findings)
    suite = ElementTree.fromstring(to_junit(report)).find("testsuite")
    assert suite is not None and int(suite.get("failures", "0")) == len(report.findings)


def test_the_cli_dry_run_sends_nothing_and_bad_flags_are_refused(tmp_path: Path, good: Served) -> None:
    design = example_design(tmp_path, good, scan=OWN)
    dry = run_infragate(tmp_path / "home", "scan", "--env", "staging", "-d", str(design), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"connects to 127.0.0.1:{good.https_port}" in dry.stdout and "probe: .git/HEAD" in dry.stdout
    assert f"design's paths: {URL}healthz, {URL}api/products" in dry.stdout  # pages no link leads to
    wrong = run_infragate(tmp_path / "home", "scan", "--env", "staging", "-d", str(design), "--format", "pdf")
    assert wrong.returncode == 2 and "--format is 'pdf'" in wrong.stderr
    engines = run_infragate(tmp_path / "home", "scan", "engines")
    assert engines.returncode == 0 and "wapiti" in engines.stdout
