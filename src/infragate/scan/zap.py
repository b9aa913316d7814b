"""A running ZAP daemon through its API, with the ``zaproxy`` client (../shared/reference/service-apis.md §7):
spider the endpoint, actively scan it (in scope only), wait for the passive scan, and read its alerts into
ScanFindings. The OWASP category comes from the alert's ``OWASP_2021_Axx`` tag when ZAP gives one.

ZAP sends the scan's traffic itself and resolves host names on its own, so only public endpoints (not
embedded or pinned ones) are scanned with it; infragate only ever talks to the ZAP API it is given.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypedDict

from infragate.errors import UsageError
from infragate.scan.findings import ScanFinding

if TYPE_CHECKING:  # for annotations only: the client is imported when a scan runs
    from zapv2 import ZAPv2

ENGINE = "zap"
RISK = {"high": "high", "medium": "medium", "low": "low", "informational": "info"}
CONFIDENCE = {"confirmed": "confirmed", "high": "high", "medium": "medium", "low": "low", "false positive": "low"}
OWASP_TAG = re.compile(r"^OWASP_2021_(A\d\d)$")
PAGE = 500


class ZapError(UsageError):
    """ZAP refused or failed (the scan reports it; it never counts as a clean scan)."""


class Alert(TypedDict, total=False):
    """One alert of ZAP's ``core/view/alerts`` (its fields are strings)."""

    pluginId: str
    alertRef: str
    alert: str
    name: str
    risk: str
    confidence: str
    cweid: str
    url: str
    param: str
    method: str
    attack: str
    evidence: str
    description: str
    tags: dict[str, str]


def _client(api: str, key: str) -> ZAPv2:
    from zapv2 import ZAPv2

    return ZAPv2(proxies={"http": api, "https": api}, apikey=key or None, validate_status_code=True)


def scan_endpoint(
    api: str,
    key: str,
    url: str,
    deadline_s: float,
    progress: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
) -> list[ScanFinding]:
    """Spider, active scan and passive scan of ``url`` by the ZAP at ``api``; its alerts for that URL."""
    if not api:
        raise ZapError(
            "no ZAP API address", hint="Set INFRAGATE_ZAP_URL (e.g. http://127.0.0.1:8080) and INFRAGATE_ZAP_KEY."
        )
    zap = _client(api, key)
    ends = time.monotonic() + deadline_s
    try:
        spider = zap.spider.scan(url, recurse=True, subtreeonly=True)
        _wait(lambda: int(zap.spider.status(spider)) >= 100, ends, sleep, progress, "ZAP spider")
        active = zap.ascan.scan(url, recurse=True, inscopeonly=True)
        _wait(lambda: int(zap.ascan.status(active)) >= 100, ends, sleep, progress, "ZAP active scan")
        _wait(lambda: int(zap.pscan.records_to_scan) == 0, ends, sleep, progress, "ZAP passive scan")
        alerts: list[Alert] = []
        while True:
            page = zap.core.alerts(baseurl=url, start=len(alerts), count=PAGE)
            alerts += page
            if len(page) < PAGE:
                break
    except ZapError:
        raise
    except Exception as failed:  # the client raises bare Exceptions (status codes) and requests' errors
        raise ZapError(
            f"ZAP at {api} failed: {str(failed)[:300]}", hint="Check INFRAGATE_ZAP_URL, the API key and that ZAP runs."
        ) from None
    return [to_finding(alert) for alert in alerts]


def _wait(
    done: Callable[[], bool], ends: float, sleep: Callable[[float], None], progress: Callable[[str], None], what: str
) -> None:
    while not done():
        if time.monotonic() > ends:
            raise ZapError(f"{what} did not finish within the scan's time limit")
        progress(f"{what}…")
        sleep(2.0)


def to_finding(alert: Alert) -> ScanFinding:
    cwe = str(alert.get("cweid", "-1"))
    tags = alert.get("tags") or {}
    owasp = next((m.group(1) for tag in tags if (m := OWASP_TAG.match(str(tag)))), "")
    return ScanFinding(
        ENGINE,
        alert.get("pluginId") or alert.get("alertRef") or "",
        str(alert.get("alert") or alert.get("name") or "ZAP alert"),
        RISK.get(str(alert.get("risk", "")).lower(), "info"),
        CONFIDENCE.get(str(alert.get("confidence", "")).lower(), "medium"),
        int(cwe) if cwe.isdigit() and int(cwe) > 0 else None,
        str(alert.get("url", "")),
        parameter=str(alert.get("param") or ""),
        method=str(alert.get("method") or "GET"),
        evidence=" ".join((alert.get("attack") or "", alert.get("evidence") or "")).strip(),
        description=str(alert.get("description", ""))[:1000],
        owasp=owasp,
    )
