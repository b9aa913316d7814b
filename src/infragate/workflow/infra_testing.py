"""Infrastructure tests as evidence (ICP-3.2): the test plan derived from the design (and, on real AWS, from
the live addresses and zones), the run, and its record: a typed summary, and every failing check a finding
with its clause (ICP-3.2, or ICP-1.1 for TLS and header weaknesses)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from infragate.infratest.dns_checks import RecordExpectation
from infragate.infratest.results import Area, CheckResult, TestReport, Verdict
from infragate.infratest.runner import DnsPlan, TestPlan, run_tests
from infragate.infratest.scope import Scope
from infragate.inventory import Snapshot
from infragate.model.testing import Endpoint
from infragate.settings import Settings
from infragate.store.findings import Observed
from infragate.workflow.bus import handles
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.messages import Command
from infragate.workflow.project import ProjectWork, open_project
from infragate.workflow.provisioning import Environment, LocalResult
from infragate.workflow.records import TestSummary
from infragate.workload.process import ca_bundle

EMBEDDED_DNS = "not applicable (embedded): there are no name servers to ask; verify checks the record contents"
EMBEDDED_EXPOSURE = "not applicable (embedded): there are no public addresses to scan"
SEVERITY = {
    "old-tls-refused": "high",
    "weak-ciphers": "high",
    "certificate-trusted": "high",
    "certificate-expiry": "high",
    "tls-handshake": "high",
    "open-ports": "high",
    "server-banner": "low",
    "referrer-policy": "low",
}


@dataclass(frozen=True)
class TestOptions:
    __test__ = False
    areas: frozenset[Area] = frozenset(Area)
    min_cert_days: int = 30
    timeout: float = 10.0


class InfraTesting:
    """ICP-3.2 for one environment: the plan of checks, the run, and its record."""

    def __init__(self, work: ProjectWork, settings: Settings, environment: str) -> None:
        self.work, self.settings, self.environment = work, settings, environment
        self.env = work.design.environment(environment)

    def plan(self, options: TestOptions, snapshot: Snapshot | None = None) -> tuple[TestPlan, list[CheckResult]]:
        """The checks to run, and the ones that cannot be run here (each with its reason, never a pass)."""
        settings = self.env.settings
        embedded = settings.aws.embedded
        skipped: list[CheckResult] = []
        endpoints: list[Endpoint] = []
        for endpoint in settings.endpoints:
            if embedded and endpoint.resolve is None:
                reason = "not applicable (embedded): not pinned to a local workload (resolve: 127.0.0.1:PORT)"
                skipped.append(CheckResult(Area.HTTP, "endpoint", str(endpoint.url), Verdict.NOT_APPLICABLE, reason))
            else:
                endpoints.append(endpoint)
        public = frozenset() if embedded or snapshot is None else frozenset(self._public_addresses(snapshot))
        scope = Scope.of(self.environment, tuple(endpoints), public, embedded=embedded)
        plan = TestPlan(
            environment=self.environment,
            scope=scope,
            endpoints=tuple(endpoints),
            cases=settings.tests,
            ca_bundle=ca_bundle(self.work.design, self.environment, self.settings.home),
            min_cert_days=options.min_cert_days,
            timeout=options.timeout,
            dns=EMBEDDED_DNS if embedded else self._dns(snapshot),
            exposure=EMBEDDED_EXPOSURE if embedded else self._exposure(snapshot),
            areas=options.areas,
        )
        if not settings.endpoints and not settings.tests:
            skipped.append(
                CheckResult(
                    Area.HTTP,
                    "endpoints",
                    self.environment,
                    Verdict.NOT_APPLICABLE,
                    "not applicable: the environment declares no endpoint to test",
                )
            )
        return plan, skipped

    def run(self, options: TestOptions, snapshot: Snapshot | None = None, *, sequential: bool = False) -> TestReport:
        plan, skipped = self.plan(options, snapshot)
        report = run_tests(plan, sequential=sequential)
        return replace(report, results=(*skipped, *report.results))

    def record(self, report: TestReport) -> tuple[int, TestSummary]:
        failing = [r for r in report.results if r.verdict in (Verdict.FAILED, Verdict.ERROR)]
        summary = TestSummary(
            passed=report.passed,
            counts={verdict.value: report.count(verdict) for verdict in Verdict},
            failing=[r.id for r in failing],
            not_applicable=[r.id for r in report.results if r.verdict is Verdict.NOT_APPLICABLE],
            duration_ms=round(report.duration_ms, 1),
        )
        findings = [
            Observed(
                fingerprint=hashlib.sha256(f"test|{self.environment}|{r.id}".encode()).hexdigest(),
                rule_id=f"TEST-{r.check}"[:32],
                component=r.target[:200],
                severity=SEVERITY.get(r.check, "medium"),
                title=f"{r.area.value} check '{r.check}' failed on {r.target}"[:500],
                message=r.detail,
                clause=r.clause,
            )
            for r in failing
        ]
        return self.work.record(self.environment, summary, succeeded=summary.passed, findings=findings, source="test")

    # -- real AWS: what the live account says ---------------------------------------------------------------
    def _public_addresses(self, snapshot: Snapshot) -> list[str]:
        groups = {name for name, group in self.env.infrastructure.compute.items() if group.elastic_ip}
        return [i.public_ip for i in snapshot.instances if i.public_ip and i.group in groups]

    def _exposure(self, snapshot: Snapshot | None) -> dict[str, frozenset[int]] | str:
        if snapshot is None:
            return "not evaluated: the live account was not read"
        infrastructure = self.env.infrastructure
        plan: dict[str, frozenset[int]] = {}
        for name, group in infrastructure.compute.items():
            if not group.elastic_ip:
                continue
            allowed = set()
            for sg_name in group.security_groups:
                sg = infrastructure.network.security_groups.get(sg_name)
                for rule in sg.ingress if sg else ():
                    if rule.cidr is not None and rule.cidr.prefixlen == 0 and rule.ports.last - rule.ports.first < 1024:
                        allowed |= set(range(rule.ports.first, rule.ports.last + 1))
            for instance in snapshot.instances:
                if instance.group == name and instance.public_ip:
                    plan[instance.public_ip] = frozenset(allowed)
        return plan or "not applicable: the environment has no public address yet (apply first)"

    def _dns(self, snapshot: Snapshot | None) -> DnsPlan | str:
        if snapshot is None:
            return "not evaluated: the live account was not read"
        import dns.resolver

        expectations: list[RecordExpectation] = []
        nameservers: list[tuple[str, int]] = []
        domains = {component: domain for domain, component in snapshot.distribution_domains.items()}
        for zone_name, zone in self.env.infrastructure.dns.items():
            live = snapshot.zones.get(zone_name)
            if live is None:
                return f"not evaluated: the hosted zone {zone_name} is not in the account (apply first)"
            for record in live.records:
                if record.name == "@" and record.type.value == "NS":
                    for server in record.values:
                        try:
                            answers = dns.resolver.resolve(server, "A", lifetime=5)
                        except Exception:
                            continue
                        nameservers += [(a.to_text(), 53) for a in answers]
            for designed in zone.records:
                fqdn = zone_name if designed.name == "@" else f"{designed.name}.{zone_name}"
                if designed.alias_distribution is not None:
                    alias = domains.get(designed.alias_distribution)
                    expectations.append(RecordExpectation(fqdn + ".", designed.type.value, None, alias or "unknown."))
                elif designed.instance_group is not None:
                    addresses = [
                        i.public_ip for i in snapshot.instances if i.group == designed.instance_group and i.public_ip
                    ]
                    expectations.append(RecordExpectation(fqdn + ".", designed.type.value, frozenset(addresses)))
                else:
                    expectations.append(RecordExpectation(fqdn + ".", designed.type.value, frozenset(designed.values)))
        if not nameservers:
            return "not evaluated: no name server of the zone could be found"
        return DnsPlan(nameservers, expectations)


# -- the use-case -------------------------------------------------------------------------------------------
class Tested(LocalResult):
    report: TestReport
    run_id: int
    summary: TestSummary

    @property
    def checks(self) -> int:
        return len(self.report.results)


class InfraTest(Command[Tested]):
    """Test the environment's infrastructure (ICP-3.2) and record the run: on real AWS the live account is read
    first (public addresses, zones); every failing check becomes a finding."""

    project: str
    environment: str
    areas: frozenset[Area] = frozenset(Area)
    min_cert_days: int = 30
    timeout: float = 10.0
    sequential: bool = False


@handles(InfraTest)
def infra_test(command: InfraTest, caller: Caller, uow: UnitOfWork) -> Tested:
    work = open_project(uow, command.project, caller)
    testing = InfraTesting(work, uow.settings, command.environment)
    embedded = testing.env.settings.aws.embedded
    if not embedded:
        uow.view.log("reading the live account first (public addresses, DNS zones)")
    snapshot = None if embedded else Environment(work, command.environment).read()
    options = TestOptions(areas=command.areas, min_cert_days=command.min_cert_days, timeout=command.timeout)
    uow.view.log(f"testing the declared endpoints of {work.name}/{command.environment}")
    report = testing.run(options, snapshot, sequential=command.sequential)
    run_id, summary = testing.record(report)
    return Tested(report=report, run_id=run_id, summary=summary)
