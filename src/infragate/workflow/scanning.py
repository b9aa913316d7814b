"""OWASP scans as evidence (ICP-4.1): the scan plan from the design (the declared endpoints, their pins, the
environment's engine, profile and limits), who may scan production, the run, and its record: a typed summary,
the report, and every finding in the lifecycle (source ``scan``, clause ICP-4.1, fingerprinted)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from infragate.errors import UsageError
from infragate.infratest.scope import Scope
from infragate.scan.findings import ScanFinding
from infragate.scan.report import to_html
from infragate.scan.runner import DetectifyAccount, ScanLimits, ScanPlan, ScanReport, ZapDaemon, run_scan
from infragate.settings import Settings
from infragate.store.findings import Observed
from infragate.workflow.records import ScanSummary
from infragate.workflow.roles import Action
from infragate.workflow.service import Workflow
from infragate.workload.process import ca_bundle


@dataclass(frozen=True)
class ScanOptions:
    engine: str | None = None  # None: the environment's (scan.engine)
    profile: str | None = None
    max_requests: int | None = None
    max_duration_s: int | None = None
    rate: float | None = None
    dry_run: bool = False  # only describing it: a workload's CA that does not exist yet is not needed


class Scanning:
    """The ICP-4.1 use-cases of one environment, as the workflow's user."""

    def __init__(self, flow: Workflow, settings: Settings, environment: str) -> None:
        self.flow, self.settings, self.environment = flow, settings, environment
        self.env = flow.design.environment(environment)

    def plan(self, options: ScanOptions) -> ScanPlan:
        """The scan to run; refuses, before anything is sent, an environment with nothing declared to scan."""
        settings = self.env.settings
        if not options.dry_run:
            self.flow.refuse_in_pentest_window(self.environment, "OWASP scan")
        if not settings.endpoints:
            raise UsageError(
                f"{self.environment} declares no endpoints to scan",
                hint="Add endpoints: (the URLs the environment serves) to the environment in the design.",
            )
        engine = options.engine or settings.scan.engine
        if engine in ("detectify", "zap") and (settings.aws.embedded or any(e.resolve for e in settings.endpoints)):
            who = "Detectify scans" if engine == "detectify" else "ZAP resolves and scans"
            raise UsageError(
                f"{who} {self.environment}'s endpoints on its own, and "
                + ("it is embedded AWS" if settings.aws.embedded else "they are pinned to local addresses"),
                hint="Use --engine builtin (wapiti and infragate's checks) for embedded or pinned environments.",
            )
        scope = Scope.of(self.environment, tuple(settings.endpoints), frozenset(), embedded=settings.aws.embedded)
        targets = tuple(str(endpoint.url) for endpoint in settings.endpoints)
        for url in targets:
            scope.destination(url)  # an unpinned endpoint on embedded AWS is refused here, not mid-scan
        configured = settings.scan
        limits = ScanLimits(
            rate=options.rate if options.rate is not None else configured.rate,
            max_requests=options.max_requests if options.max_requests is not None else configured.max_requests,
            max_duration_s=options.max_duration_s if options.max_duration_s is not None else configured.max_duration_s,
            max_pages=configured.max_pages,
        )
        return ScanPlan(
            environment=self.environment,
            targets=targets,
            scope=scope,
            ca_bundle=None if options.dry_run else ca_bundle(self.flow.design, self.environment, self.settings.home),
            engine=engine,
            profile=options.profile or configured.profile,
            limits=limits,
            tools=self.settings.tools_dir,
            folder=self._folder(),
            detectify=DetectifyAccount(
                os.environ.get("INFRAGATE_DETECTIFY_KEY", ""),
                os.environ.get("INFRAGATE_DETECTIFY_SECRET") or None,
                os.environ.get("INFRAGATE_DETECTIFY_URL") or "https://api.detectify.com/rest",
            ),
            zap=ZapDaemon(os.environ.get("INFRAGATE_ZAP_URL", ""), os.environ.get("INFRAGATE_ZAP_KEY", "")),
            seeds=self._seeds(),
        )

    def _seeds(self) -> dict[str, tuple[str, ...]]:
        """The GET paths the design names per endpoint (health, test cases, stress requests): where a crawl
        that only follows links would never go."""
        settings = self.env.settings
        endpoints = [str(e.url) for e in settings.endpoints]
        paths: dict[str, list[str]] = {url: [] for url in endpoints}
        for endpoint in settings.endpoints:
            if endpoint.health:
                paths[str(endpoint.url)].append(endpoint.health)
        for case in settings.tests:
            if case.request.method == "GET" and case.request.endpoint < len(endpoints):
                paths[endpoints[case.request.endpoint]].append(case.request.path)
        if settings.stress is not None and endpoints:
            paths[endpoints[0]] += [r.path for r in settings.stress.requests if r.method == "GET"]
        return {url: tuple(dict.fromkeys(found)) for url, found in paths.items()}

    def run(self, plan: ScanPlan, progress: Callable[[str], None] | None = None) -> ScanReport:
        """Scan, after checking who may: production is scanned by security only (ICP-4.1, ICP-R3)."""
        if self.env.settings.is_production:
            self.flow.require_action(Action.SCAN_PRODUCTION)
        report = run_scan(plan, progress or (lambda _: None))
        plan.folder.mkdir(parents=True, exist_ok=True)
        (plan.folder / "report.json").write_text(json.dumps(report.to_json(), indent=2))
        (plan.folder / "report.html").write_text(to_html(report))  # for people, however the scan was run
        return report

    def record(self, plan: ScanPlan, report: ScanReport) -> tuple[int, ScanSummary]:
        summary = ScanSummary(
            engine=report.engine,
            profile=report.profile,
            complete=report.complete,
            endpoints=list(plan.targets),
            covered=[c.url for c in report.coverage if c.status == "scanned"],
            counts=report.counts(),
            off_scope=len(report.off_scope),
            duration_s=round(report.duration_s, 2),
        )
        findings = [_observed(finding) for finding in report.findings if finding.severity != "info"]
        return self.flow.record_scan(self.environment, summary, findings, str(plan.folder / "report.json"))

    def _folder(self) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        return self.settings.home / "scans" / self.flow.design.project.name / self.environment / stamp


def _observed(finding: ScanFinding) -> Observed:
    where = finding.url + (f" ({finding.parameter})" if finding.parameter else "")
    return Observed(
        fingerprint=finding.fingerprint,
        rule_id=f"SCAN-{finding.owasp}-CWE-{finding.cwe or 0}",
        component=where,
        severity=finding.severity,
        title=f"{finding.title} [{finding.owasp_label}]",
        message=f"{finding.method} {where}: {finding.evidence or finding.description}"[:2000],
        clause="ICP-4.1",
    )
