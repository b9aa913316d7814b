"""The scan engines against the deliberately vulnerable application (tests/support/vulnerable_app.py), whose
ground truth names every flaw (path, parameter, CWE) and as many safe look-alikes: the builtin engine (wapiti
through the scope proxy, and infragate's own checks) must find every flaw and flag no decoy; infragate's own
checks alone must find exactly the flaws they are for."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from infragate.infratest.scope import Scope
from infragate.model.testing import Endpoint
from infragate.scan.runner import ScanLimits, ScanPlan, ScanReport, run_scan
from tests.support.vulnerable_app import DECOYS, VULNERABILITIES
from tests.support.workloads import HOST, Served

BASE = f"https://{HOST}/"
ACTIVE_ONLY = {22, 78, 79, 89, 601}  # the CWEs only an active scanner (wapiti) finds


def plan(served: Served, engine: str, folder: Path, tools: Path, **limits: float) -> ScanPlan:
    endpoint = Endpoint(url=BASE, resolve=f"127.0.0.1:{served.https_port}")
    scope = Scope.of("staging", (endpoint,), frozenset(), embedded=True)
    return ScanPlan(
        "staging", (BASE,), scope, served.ca_file, engine, "quick", ScanLimits(rate=500, **limits), tools, folder
    )


def found(report: ScanReport) -> set[tuple[str, str, int]]:
    return {(urlsplit(f.url).path, f.parameter, f.cwe or 0) for f in report.findings}


def decoys_flagged(report: ScanReport) -> set[str]:
    decoy_paths = {decoy.split(" ")[0].split("?")[0] for decoy in DECOYS}
    return {urlsplit(f.url).path for f in report.findings} & decoy_paths


@pytest.fixture(scope="module")
def builtin(vulnerable: Served, wapiti_tools: Path, tmp_path_factory: pytest.TempPathFactory) -> ScanReport:
    return run_scan(plan(vulnerable, "builtin", tmp_path_factory.mktemp("scan"), wapiti_tools))


def test_the_builtin_engine_finds_every_flaw_and_flags_no_decoy(builtin: ScanReport) -> None:
    truth = {(v.path, v.parameter, v.cwe) for v in VULNERABILITIES}
    assert truth - found(builtin) == set()
    assert decoys_flagged(builtin) == set()
    assert builtin.complete and [c.engines for c in builtin.coverage] == [["builtin", "wapiti"]]


def test_findings_carry_category_evidence_and_engine(builtin: ScanReport) -> None:
    sqli = next(f for f in builtin.findings if f.cwe == 89)
    assert (sqli.engine, sqli.owasp, sqli.severity, sqli.parameter) == ("wapiti", "A03", "critical", "id")
    dotenv = next(f for f in builtin.findings if f.url.endswith("/.env"))
    assert dotenv.engine == "builtin" and dotenv.severity == "critical"
    assert "hunter2" not in dotenv.evidence and "[redacted]" in dotenv.evidence  # the password in the file
    assert "http://old.example" in builtin.off_scope  # a link out of the scope: listed, never requested


def test_own_checks_find_exactly_their_flaws(vulnerable: Served, tmp_path: Path) -> None:
    report = run_scan(plan(vulnerable, "own", tmp_path, tmp_path / "no-tools"))
    expected = {(v.path, v.parameter, v.cwe) for v in VULNERABILITIES if v.cwe not in ACTIVE_ONLY}
    assert found(report) == expected  # nothing else: soft 404s, the "Index of" gallery, public CORS are decoys
    assert report.complete


def test_a_request_limit_makes_the_scan_incomplete_and_says_so(vulnerable: Served, tmp_path: Path) -> None:
    report = run_scan(plan(vulnerable, "own", tmp_path, tmp_path / "no-tools", max_requests=15))
    assert not report.complete
    assert report.coverage[0].status == "partial" and "limit" in report.coverage[0].detail
    assert report.coverage[0].requests == 15
