"""Detectify's API v2 against a local fake that checks signatures: the published test vector, a scan of the
endpoint's profile (created on first use), polling until no scan runs, paged vulnerabilities mapped to the
findings model, retries on 503, and clear refusals for a wrong key or an unreachable API."""

from __future__ import annotations

from pathlib import Path

import pytest

from infragate.design import load_design
from infragate.errors import UsageError
from infragate.infratest.scope import Scope
from infragate.model.testing import Endpoint
from infragate.scan.detectify import Detectify, DetectifyError, scan_endpoint, signature
from infragate.scan.runner import DetectifyAccount, ScanLimits, ScanPlan, run_scan
from infragate.settings import load_settings
from infragate.store import open_store
from infragate.workflow.scanning import Scanning, ScanOptions
from tests.conftest import WEBSHOP
from tests.support.acting import Person
from tests.support.fake_detectify import KEY, SECRET, FakeDetectify, vulnerability
from tests.support.servers import free_port, serving

URL = "https://www.webshop.example.com/"


def test_signing_matches_the_published_test_vector() -> None:
    assert signature("GET", "/v2/domains/", KEY, SECRET, 1519829567) == "6jpu6S4cQwEY4uLk+xELSe1RhajVJP0QEDpGWZ5T+U0="
    assert signature("get", "/v2/domains/", KEY, SECRET, 1519829567) == "6jpu6S4cQwEY4uLk+xELSe1RhajVJP0QEDpGWZ5T+U0="
    assert (
        signature("GET", "/rest/v2/domains/", KEY, SECRET, 1519829567) != "6jpu6S4cQwEY4uLk+xELSe1RhajVJP0QEDpGWZ5T+U0="
    )


def test_a_scan_creates_the_profile_polls_it_and_imports_its_active_findings() -> None:
    fake = FakeDetectify(flaky=True)
    fake.vulnerabilities = [
        vulnerability("profile1", "Reflected XSS", "high", 79, URL + "search?q=1"),
        vulnerability("profile1", "Missing HSTS", "low", 523, URL),
        vulnerability("profile1", "Old finding", "medium", 89, URL + "old", status="patched"),
        vulnerability("other-profile", "Someone else's", "critical", 78, "https://other.example/"),
        vulnerability("profile1", "Open redirect", "medium", 601, URL + "go?next=x"),
    ]
    waits: list[float] = []
    with serving(fake.app()) as base:
        client = Detectify(KEY, SECRET, base + "/rest", sleep=waits.append)
        found = scan_endpoint(client, URL, 600, lambda _: None)
    assert [(f.title, f.severity, f.cwe, f.owasp) for f in found] == [
        ("Reflected XSS", "high", 79, "A03"),
        ("Missing HSTS", "low", 523, "A02"),
        ("Open redirect", "medium", 601, "A01"),
    ]
    assert fake.profiles == {"profile1": "www.webshop.example.com"}
    assert "POST /v2/scans/profile1/" in fake.calls and fake.calls.count("GET /v2/scans/profile1/") >= 3
    assert "abc123" not in found[0].evidence  # the request's cookie, redacted
    assert 10.0 in waits and 1.0 in waits  # polled every 10 s; a 503 retried after a backoff


def test_a_wrong_secret_or_no_api_is_a_clear_refusal() -> None:
    with serving(FakeDetectify().app()) as base:
        wrong = Detectify(KEY, "d3Jvbmc=", base + "/rest", sleep=lambda _: None)
        with pytest.raises(DetectifyError, match="refused GET /v2/profiles/ \\(401\\)"):
            wrong.profile("www.webshop.example.com")
    with pytest.raises(DetectifyError, match="cannot be reached"):
        Detectify(KEY, SECRET, f"http://127.0.0.1:{free_port()}/rest").profile("x.example")
    with pytest.raises(DetectifyError, match="no Detectify API key"):
        Detectify("", None)


def test_the_detectify_engine_scans_public_endpoints_only(tmp_path: Path) -> None:
    fake = FakeDetectify(polls_per_scan=0)  # finished by the first poll: no 10 s wait here
    fake.vulnerabilities = [vulnerability("profile1", "SQL injection", "critical", 89, URL + "product?id=1")]
    endpoint = Endpoint(url=URL)
    scope = Scope.of("production", (endpoint,), frozenset(), embedded=False)
    with serving(fake.app()) as base:
        account = DetectifyAccount(KEY, SECRET, base + "/rest")
        folder = Path(str(tmp_path))
        plan = ScanPlan(
            "production", (URL,), scope, None, "detectify", "standard", ScanLimits(), folder, folder, account
        )
        report = run_scan(plan)
    assert report.complete and [c.engines for c in report.coverage] == [["detectify"]]
    assert [(f.engine, f.cwe, f.severity) for f in report.findings] == [("detectify", 89, "critical")]

    embedded = Scanning(
        Person(open_store(load_settings()), load_design(WEBSHOP), "ci").work, load_settings(), "staging"
    )
    with pytest.raises(UsageError, match="Detectify scans staging's endpoints on its own, and it is embedded AWS"):
        embedded.plan(ScanOptions(engine="detectify"))
