"""The ZAP engine against a local fake of ZAP's API (the zaproxy client through its proxy, as with a real
daemon): spider, active scan and passive scan polled to the end, alerts paged and mapped, a wrong key a
clear refusal."""

from __future__ import annotations

import pytest

from infragate.scan.zap import ZapError, scan_endpoint
from tests.support.fake_zap import KEY, FakeZap, alert, serving_zap

URL = "https://www.webshop.example.com/"


def test_zap_spiders_scans_and_its_alerts_become_findings() -> None:
    fake = FakeZap(polls=3)
    fake.alerts = [
        alert("Cross Site Scripting (Reflected)", "High", 79, URL + "search?q=x", "q", tag="OWASP_2021_A03"),
        alert("Content Security Policy (CSP) Header Not Set", "Medium", 693, URL),
        alert("Server Leaks Version Information", "Low", 200, URL, tag="OWASP_2021_A05"),
        alert("Another site's alert", "High", 89, "https://other.example/"),
    ]
    waits: list[float] = []
    with serving_zap(fake) as api:
        found = scan_endpoint(api, KEY, URL, 600, lambda _: None, sleep=waits.append)
    assert [(f.title, f.severity, f.cwe, f.owasp, f.parameter) for f in found] == [
        ("Cross Site Scripting (Reflected)", "high", 79, "A03", "q"),
        ("Content Security Policy (CSP) Header Not Set", "medium", 693, "A05", ""),  # from the CWE
        ("Server Leaks Version Information", "low", 200, "A05", ""),  # ZAP's tag wins over the CWE's A01
    ]
    assert fake.scanned == [URL, URL]  # spidered and scanned: only the endpoint
    assert "/JSON/pscan/view/recordsToScan/" in fake.calls and waits  # polled until done


def test_a_wrong_key_or_no_zap_is_a_clear_refusal() -> None:
    with serving_zap(FakeZap()) as api, pytest.raises(ZapError, match=f"ZAP at {api} failed"):
        scan_endpoint(api, "wrong", URL, 60, lambda _: None, sleep=lambda _: None)
    with pytest.raises(ZapError, match="no ZAP API address"):
        scan_endpoint("", KEY, URL, 60, lambda _: None)
