"""One scan of an environment's declared endpoints with the chosen engine, within its limits: what each
endpoint's coverage was, every finding (deduplicated by fingerprint), what was refused as off-scope, and
whether the scan was complete (only a complete scan may mark earlier findings fixed or meet ICP-4.1)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from infragate.infratest.results import Verdict
from infragate.infratest.scope import Scope
from infragate.json_values import JsonObject
from infragate.scan import checks, wapiti
from infragate.scan.crawl import Budget, LimitReachedError, crawl
from infragate.scan.findings import SEVERITIES, ScanFinding, deduplicated
from infragate.scan.proxy import ProxyLog

# The TLS checks of the infrastructure tests that are security findings, as CWEs.
TLS_CWES = {"old-tls-refused": 326, "weak-ciphers": 327, "certificate-trusted": 295, "certificate-expiry": 298}


@dataclass(frozen=True)
class ScanLimits:
    rate: float = 20.0  # requests per second (infragate's own checks; wapiti runs 4 tasks)
    max_requests: int = 5000  # per endpoint, every engine together
    max_duration_s: int = 900  # per endpoint
    max_pages: int = 200  # crawled per endpoint


@dataclass(frozen=True)
class DetectifyAccount:
    key: str = field(default="", repr=False)
    secret: str | None = field(default=None, repr=False)
    url: str = "https://api.detectify.com/rest"


@dataclass(frozen=True)
class ZapDaemon:
    url: str = ""  # the ZAP API (its proxy address), e.g. http://127.0.0.1:8080
    key: str = field(default="", repr=False)


@dataclass(frozen=True)
class ScanPlan:
    environment: str
    targets: tuple[str, ...]  # the declared endpoints' URLs
    scope: Scope
    ca_bundle: Path | None
    engine: str
    profile: str
    limits: ScanLimits
    tools: Path
    folder: Path
    detectify: DetectifyAccount = DetectifyAccount()
    zap: ZapDaemon = ZapDaemon()
    seeds: dict[str, tuple[str, ...]] = field(default_factory=dict)  # endpoint -> paths the design names

    def starts(self, url: str) -> list[str]:
        """Where the crawl of ``url`` starts: the endpoint, then the GET paths the design names for it (its
        health path, test cases, stress requests), which a page may never link to (an API)."""
        root = url.rstrip("/")
        return [url, *dict.fromkeys(root + path for path in self.seeds.get(url, ()) if root + path != url)]

    @property
    def modules(self) -> tuple[str, ...]:
        return wapiti.PROFILES[self.profile] if self.engine in ("builtin", "wapiti") else ()

    def describe(self) -> list[str]:
        """What the scan would request (``--dry-run``), before anything is sent."""
        lines = [f"engine {self.engine}, profile {self.profile}; limits: {self.limits.rate:g} requests/s, "
                 f"{self.limits.max_requests} requests and {self.limits.max_duration_s} s per endpoint"]  # fmt: skip
        for url in self.targets:
            destination = self.scope.destination(url)
            where = f"{destination.address}:{destination.connect_port}" if destination.address else "its DNS"
            lines.append(f"{url} (connects to {where})")
            if self.engine in ("builtin", "own"):
                lines.append(
                    f"  crawl up to {self.limits.max_pages} pages under {url}; off-scope links listed, not followed"
                )
                if len(self.starts(url)) > 1:
                    lines.append("  starting also from the design's paths: " + ", ".join(self.starts(url)[1:]))
                lines.append("  probe: " + ", ".join(p for p, *_ in checks.EXPOSURES) + ", backup names, CORS origins")
                if url.startswith("https://"):
                    lines.append("  TLS: protocol versions, cipher suites, certificate (SSLyze)")
            if self.modules:
                lines.append("  wapiti modules: " + ", ".join(self.modules))
            if self.engine == "zap":
                lines.append(f"  the ZAP at {self.zap.url or '(INFRAGATE_ZAP_URL unset)'}: spider, active scan, alerts")
            if self.engine == "detectify":
                lines.append(
                    f"  Detectify ({self.detectify.url}) scans it from the internet: its profile, a scan, its findings"
                )
        return lines


@dataclass
class Coverage:
    url: str
    status: str  # "scanned", "partial" (a limit stopped it) or "failed"
    detail: str = ""
    pages: int = 0
    requests: int = 0
    engines: list[str] = field(default_factory=list)


@dataclass
class ScanReport:
    environment: str
    engine: str
    profile: str
    findings: list[ScanFinding]
    coverage: list[Coverage]
    off_scope: list[str]
    duration_s: float

    @property
    def complete(self) -> bool:
        return bool(self.coverage) and all(c.status == "scanned" for c in self.coverage)

    def counts(self) -> dict[str, int]:
        return {s: sum(f.severity == s for f in self.findings) for s in SEVERITIES}

    def to_json(self) -> JsonObject:
        return {
            "environment": self.environment,
            "engine": self.engine,
            "profile": self.profile,
            "complete": self.complete,
            "duration_s": round(self.duration_s, 2),
            "counts": self.counts(),
            "coverage": [vars(c) for c in self.coverage],
            "off_scope": self.off_scope,
            "findings": [f.to_json() for f in self.findings],
        }


def run_scan(plan: ScanPlan, progress: Callable[[str], None] = lambda _: None) -> ScanReport:
    started = time.monotonic()
    findings: list[ScanFinding] = []
    coverage: list[Coverage] = []
    off_scope: set[str] = set()
    for url in plan.targets:
        progress(f"scanning {url}")
        covered, found, refused = _scan_endpoint(plan, url, progress)
        coverage.append(covered)
        findings += found
        off_scope |= refused
    return ScanReport(
        plan.environment, plan.engine, plan.profile, deduplicated(findings), coverage, sorted(off_scope),
        time.monotonic() - started,
    )  # fmt: skip


OWN_SHARE = 4  # infragate's own checks may use a quarter of an endpoint's requests; wapiti the rest


def _scan_endpoint(
    plan: ScanPlan, url: str, progress: Callable[[str], None]
) -> tuple[Coverage, list[ScanFinding], set[str]]:
    """One endpoint: wapiti (in a thread, it is a subprocess) runs beside infragate's own checks, so the
    builtin engine takes about as long as the slower of the two, not their sum."""
    from concurrent.futures import ThreadPoolExecutor

    deadline = time.monotonic() + plan.limits.max_duration_s
    runs_wapiti = plan.engine in ("builtin", "wapiti")
    own_budget = max(10, plan.limits.max_requests // OWN_SHARE) if runs_wapiti else plan.limits.max_requests
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="infragate-wapiti") as pool:
        if runs_wapiti:
            program = wapiti.install(plan.tools, progress)  # before the clock of the scan matters
            budget = (
                max(1, plan.limits.max_requests - own_budget) if plan.engine == "builtin" else plan.limits.max_requests
            )
            wapiti_run = pool.submit(_wapiti, plan, program, url, budget, deadline, progress)
        covered, found, refused = _own_and_others(plan, url, own_budget, deadline, progress)
        if runs_wapiti:
            outcome, log = wapiti_run.result()
            covered.engines.append("wapiti")
            if isinstance(outcome, str):
                covered.status, covered.detail = "failed", outcome
            else:
                found += outcome
            if log is not None:
                covered.requests += log.requests
                refused |= set(log.refused)
                if log.stopped_at_limit and covered.status == "scanned":
                    covered.status, covered.detail = "partial", "the request or time limit stopped wapiti"
    return covered, found, refused


def _wapiti(
    plan: ScanPlan, program: Path, url: str, budget: int, deadline: float, progress: Callable[[str], None]
) -> tuple[list[ScanFinding] | str, ProxyLog | None]:
    """wapiti through the scope proxy: its findings, or why it failed; and what the proxy saw."""
    from infragate.scan.proxy import ScopeProxy

    progress(f"wapiti ({', '.join(plan.modules)}) on {url}")
    remaining = max(10.0, deadline - time.monotonic())
    try:
        with ScopeProxy(plan.scope, max_requests=budget, deadline_s=remaining) as proxy:
            found = wapiti.run(
                program,
                url,
                proxy.url,
                plan.modules,
                plan.folder / "wapiti" / _slug(url),
                remaining,
                tuple(plan.starts(url)[1:]),
            )
    except wapiti.ScannerError as failed:
        return failed.message, None
    return found, proxy.log


def _own_and_others(
    plan: ScanPlan, url: str, budget: int, deadline: float, progress: Callable[[str], None]
) -> tuple[Coverage, list[ScanFinding], set[str]]:
    """infragate's own checks (crawl, exposures, TLS) and Detectify: whichever the engine includes."""
    covered = Coverage(url, "scanned")
    found: list[ScanFinding] = []
    refused: set[str] = set()
    if plan.engine in ("builtin", "own"):
        own, pages, sent, complete, off, errors = asyncio.run(_own_checks(plan, url, deadline, budget))
        found += own
        refused |= off
        covered.pages, covered.requests = pages, sent
        covered.engines.append("builtin")
        if errors and not pages:
            return Coverage(url, "failed", "; ".join(errors[:3]), engines=["builtin"]), found, refused
        if not complete:
            covered.status, covered.detail = "partial", "the request or time limit stopped the crawl"
        if url.startswith("https://"):
            progress(f"TLS checks of {url}")
            found += _tls_findings(plan, url)
    if plan.engine == "detectify":
        from infragate.scan import detectify

        try:
            client = detectify.Detectify(plan.detectify.key, plan.detectify.secret, plan.detectify.url)
            found += detectify.scan_endpoint(client, url, max(60.0, deadline - time.monotonic()), progress)
        except detectify.DetectifyError as failed:
            return Coverage(url, "failed", failed.message, engines=["detectify"]), found, refused
        covered.engines.append("detectify")
    if plan.engine == "zap":
        from infragate.scan import zap

        try:
            found += zap.scan_endpoint(
                plan.zap.url, plan.zap.key, url, max(60.0, deadline - time.monotonic()), progress
            )
        except zap.ZapError as failed:
            return Coverage(url, "failed", failed.message, engines=["zap"]), found, refused
        covered.engines.append("zap")
    return covered, found, refused


async def _own_checks(
    plan: ScanPlan, url: str, deadline: float, max_requests: int
) -> tuple[list[ScanFinding], int, int, bool, set[str], list[str]]:
    from infragate.infratest.runner import ssl_context
    from infragate.infratest.transport import client

    async with client(plan.scope, ssl_context(plan.ca_bundle), http2=False, timeout=10.0) as http:
        http.headers["User-Agent"] = "infragate-scan/1 (ICP-4.1)"
        budget = Budget(http, plan.limits.rate, max_requests, deadline)
        crawled = await crawl(budget, plan.starts(url), plan.limits.max_pages)
        found = checks.passive(crawled)
        complete = crawled.complete
        if crawled.pages:
            try:
                found += await checks.exposures(budget, url, crawled)
            except LimitReachedError:
                complete = False
        return found, len(crawled.pages), budget.sent, complete, crawled.off_scope, crawled.errors


def _tls_findings(plan: ScanPlan, url: str) -> list[ScanFinding]:
    from infragate.infratest.tls_checks import tls_checks

    results = tls_checks(plan.scope.destination(url), plan.ca_bundle, 30, 10.0)
    return [
        ScanFinding(checks.ENGINE, f"tls-{r.check}", r.detail, "high" if r.check != "certificate-expiry" else "medium",
                    "confirmed", TLS_CWES[r.check], url)
        for r in results
        if r.verdict is Verdict.FAILED and r.check in TLS_CWES
    ]  # fmt: skip


def _slug(url: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in url.split("://", 1)[-1]).strip("-")[:80]
