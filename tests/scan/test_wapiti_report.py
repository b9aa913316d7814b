"""Reading wapiti's JSON report (the shape wapiti 3.2.3 writes): CWEs from its classification references or
from the category, severity from its level, and the cookie of a cookie-flag finding as its parameter."""

from __future__ import annotations

from infragate.scan.wapiti import parse

REPORT = {
    "classifications": {
        "SQL Injection": {"ref": {"CWE-89: Improper Neutralization of Special Elements used in an SQL Command": "u"}},
        "HttpOnly Flag cookie": {"ref": {"OWASP: HttpOnly": "u"}},
    },
    "vulnerabilities": {
        "SQL Injection": [{"method": "GET", "path": "/product", "parameter": "id", "level": 4, "module": "sql",
                           "info": "SQL Injection via injection in the parameter id",
                           "http_request": "GET /product?id=%27 HTTP/1.1\nCookie: sid=abc"}],
        "HttpOnly Flag cookie": [{"method": "GET", "path": "/", "parameter": "", "level": 1, "module": "cookieflags",
                                  "info": "HttpOnly flag is not set in the cookie : sessionid"}],
        "Open Redirect": [],
    },
    "anomalies": {"Internal Server Error": [{"path": "/debug", "level": 3}]},
    "infos": {"target": "https://shop.example/"},
}  # fmt: skip


def test_wapitis_report_becomes_findings() -> None:
    sqli, cookie = parse(REPORT, "https://shop.example:8443/app/")
    assert (sqli.url, sqli.parameter, sqli.cwe, sqli.severity, sqli.owasp) == (
        "https://shop.example:8443/product",
        "id",
        89,
        "critical",
        "A03",
    )
    assert "abc" not in sqli.evidence  # the request's cookie is masked
    assert (cookie.cwe, cookie.parameter, cookie.severity) == (1004, "sessionid", "low")  # CWE from the category
    assert len(parse(REPORT, "https://shop.example/")) == 2  # anomalies (500s) are not findings
