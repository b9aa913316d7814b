"""The findings model: one identity per issue whatever payload or engine found it, OWASP categories from CWEs,
and evidence with its secrets masked."""

from __future__ import annotations

from infragate.scan.findings import ScanFinding, deduplicated, normalised_location, redact
from infragate.scan.owasp import category

URL = "https://shop.example/search"


def finding(**changes: object) -> ScanFinding:
    base: dict[str, object] = {
        "engine": "wapiti", "rule": "xss", "title": "Reflected XSS", "severity": "medium", "confidence": "high",
        "cwe": 79, "url": URL + "?q=<script>alert(1)</script>", "parameter": "q",
    }  # fmt: skip
    return ScanFinding(**(base | changes))  # type: ignore[arg-type]


def test_the_same_issue_found_with_another_payload_or_engine_is_the_same_finding() -> None:
    assert finding().fingerprint == finding(url=URL + "?q=%22onmouseover=x", engine="zap", rule="40012").fingerprint
    assert finding().fingerprint == finding(url="HTTPS://SHOP.EXAMPLE/search?q=1").fingerprint  # host case


def test_another_parameter_path_method_or_weakness_is_another_finding() -> None:
    one = finding().fingerprint
    assert one != finding(parameter="page").fingerprint
    assert one != finding(url="https://shop.example/find?q=1").fingerprint
    assert one != finding(method="POST").fingerprint
    assert one != finding(cwe=89).fingerprint


def test_query_parameter_names_not_values_place_an_issue() -> None:
    assert normalised_location("https://a.example/p?b=2&a=1#x") == "https://a.example/p?a&b"
    assert normalised_location("https://a.example:8443") == "https://a.example:8443/"


def test_owasp_categories_come_from_the_cwe() -> None:
    assert (category(79), category(89), category(22), category(918), category(614)) == (
        "A03",
        "A03",
        "A01",
        "A10",
        "A05",
    )
    assert category(None) == category(123456) == "A05"  # unlisted: misconfiguration, never dropped
    assert finding().owasp == "A03" and finding(owasp="A07").owasp == "A07"


def test_evidence_never_keeps_credentials() -> None:
    text = redact(
        "GET /x HTTP/1.1\nAuthorization: Bearer abc.def.ghi\nCookie: sid=s3cr3t\n\npassword=hunter2&user=ada "
        "key AKIAABCDEFGHIJKLMNOP\nDATABASE_URL=postgres://shop:pa55word@db/shop\nSECRET_KEY=3f9a8c7d"
    )
    for secret in ("abc.def.ghi", "s3cr3t", "hunter2", "AKIAABCDEFGHIJKLMNOP", "pa55word", "3f9a8c7d"):
        assert secret not in text
    assert "user=ada" in text  # what is not a secret stays readable
    assert len(redact("x" * 5000)) <= 601


def test_deduplication_keeps_the_most_severe_of_the_same_issue() -> None:
    kept = deduplicated([finding(severity="low"), finding(severity="high", engine="zap"), finding(parameter="p")])
    assert [(f.severity, f.parameter) for f in kept] == [("high", "q"), ("medium", "p")]
