"""OWASP scans as evidence (ICP-4.1): the scan plan from the design (the declared endpoints, their pins, the
environment's engine, profile and limits), who may scan production, the run, and its record: a typed summary,
the report, and every finding in the lifecycle (source ``scan``, clause ICP-4.1, fingerprinted)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from infragate.errors import UsageError
from infragate.infratest.scope import Scope
from infragate.scan.findings import ScanFinding
from infragate.scan.report import to_html
from infragate.scan.runner import DetectifyAccount, ScanLimits, ScanPlan, ScanReport, ZapDaemon, run_scan
from infragate.settings import Settings
from infragate.store.findings import Observed
from infragate.workflow.bus import handles
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.messages import Command
from infragate.workflow.project import ProjectWork, open_project
from infragate.workflow.provisioning import LocalResult
from infragate.workflow.records import ScanSummary
from infragate.workflow.roles import Action
from infragate.workload.process import ca_bundle


class ScanOptions(BaseModel):
    """How to scan (None: the environment's own setting)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    engine: str | None = None  # None: the environment's (scan.engine)
    profile: str | None = None
    max_requests: int | None = None
    max_duration_s: int | None = None
    rate: float | None = None
    dry_run: bool = False  # only describing it: a workload's CA that does not exist yet is not needed


class Scanning:
    """ICP-4.1 for one environment: the scan plan, who may scan, the run and its record."""

    def __init__(self, work: ProjectWork, settings: Settings, environment: str) -> None:
        self.work, self.settings, self.environment = work, settings, environment
        self.env = work.design.environment(environment)

    def plan(self, options: ScanOptions) -> ScanPlan:
        """The scan to run; refuses, before anything is sent, an environment with nothing declared to scan."""
        settings = self.env.settings
        if not options.dry_run:
            self.work.refuse_in_pentest_window(self.environment, "OWASP scan")
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
            ca_bundle=None if options.dry_run else ca_bundle(self.work.design, self.environment, self.settings.home),
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
            self.work.require(Action.SCAN_PRODUCTION)
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
        # An incomplete scan adds and reopens findings but marks none fixed: not seeing an issue on a page it
        # never reached is no evidence that the issue is gone.
        return self.work.record(
            self.environment,
            summary,
            succeeded=summary.complete,
            findings=findings,
            source="scan",
            artifact_path=str(plan.folder / "report.json"),
            complete=summary.complete,
        )

    def _folder(self) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        return self.settings.home / "scans" / self.work.design.project.name / self.environment / stamp


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


# -- use-cases ----------------------------------------------------------------------------------------------
class PlannedScan(LocalResult):
    plan: ScanPlan


class GetScanPlan(Command[PlannedScan]):
    """The scan that would run (targets, engine, profile, limits); nothing is sent. ``options.dry_run``: only
    to describe it (a workload's CA that does not exist yet is not needed)."""

    project: str
    environment: str
    options: ScanOptions = Field(default_factory=lambda: ScanOptions(dry_run=True))


@handles(GetScanPlan)
def scan_plan(command: GetScanPlan, caller: Caller, uow: UnitOfWork) -> PlannedScan:
    scanning = Scanning(open_project(uow, command.project, caller), uow.settings, command.environment)
    return PlannedScan(plan=scanning.plan(command.options))


class Scanned(LocalResult):
    plan: ScanPlan
    report: ScanReport
    run_id: int
    summary: ScanSummary


class Scan(Command[Scanned]):
    """The OWASP scan of the environment's declared endpoints (ICP-4.1), recorded with its report; production
    is scanned by security only, and never while a pentest window is open."""

    project: str
    environment: str
    options: ScanOptions = Field(default_factory=ScanOptions)


@handles(Scan)
def scan(command: Scan, caller: Caller, uow: UnitOfWork) -> Scanned:
    scanning = Scanning(open_project(uow, command.project, caller), uow.settings, command.environment)
    plan = scanning.plan(command.options.model_copy(update={"dry_run": False}))
    uow.view.log(f"OWASP scan of {len(plan.targets)} endpoint(s): engine {plan.engine}, profile {plan.profile}")
    report = scanning.run(plan, uow.view.log)
    run_id, summary = scanning.record(plan, report)
    return Scanned(plan=plan, report=report, run_id=run_id, summary=summary)
