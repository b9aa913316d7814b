"""The infrastructure tests against real local servers: the example's application served well (every check
passes), broken on purpose (the exact checks that must fail do), and over HTTP/2; results as JSON and JUnit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest

from infragate.infratest.results import Area, TestReport, Verdict
from infragate.infratest.runner import TestPlan, run_tests
from infragate.infratest.scope import Scope
from infragate.model.testing import Endpoint, TestCase
from tests.support.workloads import HOST, Served, example_app, example_app_over_http2

EMBEDDED = "not applicable (embedded)"


def endpoint(served: Served, **extra: object) -> Endpoint:
    return Endpoint.model_validate({"url": f"https://{HOST}", **served.pins, "health": "/healthz", **extra})


def plan(served: Served, *cases: TestCase, **extra: object) -> TestPlan:
    ep = endpoint(served, **extra)
    return TestPlan(
        "staging",
        Scope.of("staging", (ep,), frozenset(), embedded=True),
        (ep,),
        cases=cases,
        ca_bundle=served.ca_file,
        dns=EMBEDDED,
        exposure=EMBEDDED,
    )


def verdicts(report: TestReport) -> dict[str, str]:
    return {f"{r.area.value}:{r.check}": r.verdict.value for r in report.results}


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("broken")
    with example_app(folder, "headers", "tls", "status", "banner") as served:
        yield served


def test_a_well_served_endpoint_passes_every_check_it_can_judge(good: Served) -> None:
    report = run_tests(plan(good))
    assert report.passed, [r for r in report.results if r.verdict is not Verdict.PASSED]
    seen = verdicts(report)
    for check in (
        "status",
        "redirect-to-https",
        "health",
        "hsts",
        "content-security-policy",
        "content-type-options",
        "frame-protection",
        "referrer-policy",
        "server-banner",
    ):
        assert seen[f"http:{check}"] == "passed", check
    for check in (
        "old-tls-refused",
        "modern-tls-accepted",
        "weak-ciphers",
        "certificate-trusted",
        "certificate-expiry",
    ):
        assert seen[f"tls:{check}"] == "passed", check
    assert seen["http:http2"] == "not applicable"  # uvicorn offers only HTTP/1.1: nothing to judge, not a pass
    assert seen["tls:ocsp-and-transparency"] == "information"
    assert seen["dns:records"] == seen["exposure:open-ports"] == "not applicable"
    assert all(r.duration_ms > 0 for r in report.results if r.area in (Area.HTTP, Area.TLS))


def test_a_broken_endpoint_fails_exactly_the_checks_it_breaks(broken: Served) -> None:
    report = run_tests(plan(broken))
    failed = sorted(key for key, verdict in verdicts(report).items() if verdict == "failed")
    assert failed == [
        "http:content-security-policy",
        "http:content-type-options",
        "http:frame-protection",
        "http:hsts",
        "http:referrer-policy",
        "http:server-banner",
        "http:status",
        "tls:old-tls-refused",
        "tls:weak-ciphers",
    ]
    assert not report.passed
    by_check = {r.check: r for r in report.results}
    assert by_check["old-tls-refused"].detail.startswith("accepts TLS 1.0")
    assert by_check["status"].detail == "answered 500, expected 200"
    assert by_check["hsts"].clause == "ICP-1.1" and by_check["status"].clause == "ICP-3.2"
    assert "nginx/1.25.3" in by_check["server-banner"].detail


def test_an_expired_certificate_fails_and_nothing_else_can_be_judged_over_it(tmp_path: Path) -> None:
    with example_app(tmp_path, expired=True) as served:
        report = run_tests(plan(served))
    seen = verdicts(report)
    assert seen["tls:certificate-expiry"] == "failed" and seen["tls:certificate-trusted"] == "failed"
    assert seen["http:status"] == "error"  # a verifying client refuses the handshake: no header can be judged
    assert "http:hsts" not in seen and not report.passed


def test_an_untrusted_certificate_fails_even_when_everything_else_is_right(good: Served, tmp_path: Path) -> None:
    from tests.support.workloads import certificates

    stranger, _cert, _key = certificates(tmp_path / "other-ca")  # a CA the server's certificate is not from
    report = run_tests(plan(Served(good.https_port, good.http_port, stranger)))
    assert verdicts(report)["tls:certificate-trusted"] == "failed"
    assert verdicts(report)["http:status"] == "error"  # the HTTP client refuses the handshake too
    assert not report.passed


def test_an_endpoint_served_over_http2_passes_the_compatibility_check(tmp_path: Path) -> None:
    with example_app_over_http2(tmp_path) as served:
        report = run_tests(
            plan(served, health="/healthz"),
        )
    http2 = next(r for r in report.results if r.check == "http2")
    assert http2.verdict is Verdict.PASSED and http2.info["http_version"] == "HTTP/2"
    status = next(r for r in report.results if r.check == "status")
    assert status.info["http_version"] == "HTTP/1.1"  # the same endpoint, asked by an HTTP/1.1-only client


def test_declared_cases_name_every_unmet_expectation(good: Served) -> None:
    cases = [
        TestCase.model_validate(
            {
                "name": "catalogue",
                "request": {"path": "/api/products"},
                "expect": {"status": 200, "json": {"0.name": "Espresso cup", "2.price_cents": 2600}},
            }
        ),
        TestCase.model_validate(
            {
                "name": "wrong on purpose",
                "request": {"path": "/api/products/1"},
                "expect": {
                    "status": 201,
                    "body_contains": "teapot",
                    "json": {"name": "Mug", "nope": 1},
                    "headers": {"x-missing": None, "content-type": "text/html"},
                    "max_ms": 1,
                },
            }
        ),
        TestCase.model_validate(
            {
                "name": "basket",
                "request": {"method": "POST", "path": "/api/basket", "json": {"product_id": 3}},
                "expect": {"status": 200, "json": {"count": 1, "lines.0.product_id": 3}},
            }
        ),
    ]
    report = run_tests(plan(good, *cases))
    results = {r.check: r for r in report.results if r.area is Area.CASES}
    assert results["catalogue"].verdict is Verdict.PASSED and results["basket"].verdict is Verdict.PASSED
    wrong = results["wrong on purpose"]
    assert wrong.verdict is Verdict.FAILED
    for problem in (
        "status 200, expected 201",
        "does not contain 'teapot'",
        'name is "Espresso cup", expected "Mug"',
        "no nope in the JSON body",
        "no x-missing header",
        "content-type is 'application/json'",
        "more than 1 ms",
    ):
        assert problem in wrong.detail, problem


def test_results_for_machines_json_and_junit(broken: Served) -> None:
    report = run_tests(plan(broken))
    document = report.to_json()
    assert document["passed"] is False and document["counts"]["failed"] == 9
    assert document["checks"][0]["verdict"] == "failed"  # failures first within the first area
    suites = ElementTree.fromstring(report.to_junit().split("\n", 1)[1])
    http = next(s for s in suites if s.get("name") == "http")
    assert http.get("failures") == "7" and http.get("skipped") == "1"  # http2 is not applicable: skipped
    failure = next(case for case in http if case.find("failure") is not None)
    assert failure.find("failure").get("type") in ("ICP-1.1", "ICP-3.2")  # type: ignore[union-attr]


def test_concurrent_and_sequential_runs_agree(good: Served) -> None:
    together, apart = run_tests(plan(good)), run_tests(plan(good), sequential=True)
    assert verdicts(together) == verdicts(apart)


def test_the_example_serves_loaderios_verification_token_when_asked(tmp_path: Path) -> None:
    import ssl
    import urllib.request

    from tests.support.workloads import example_app as serve_example

    with serve_example(tmp_path, extra=("--loaderio-token", "abc123")) as served:
        context = ssl.create_default_context(cafile=str(served.ca_file))
        context.check_hostname = False  # asked by address here; the name is checked by the TLS tests
        with urllib.request.urlopen(f"https://127.0.0.1:{served.https_port}/loaderio-abc123/", context=context) as got:
            assert got.read() == b"loaderio-abc123"
