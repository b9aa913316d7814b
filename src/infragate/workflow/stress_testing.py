"""Stress tests as evidence (ICP-3.3): the scenario from the design, the Locust run, the SLO verdicts, and the
record: a typed summary, and every failing SLO a finding (clause ICP-3.3)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from infragate.errors import RefusedError, UsageError
from infragate.extras import require
from infragate.model.testing import Endpoint
from infragate.settings import Settings
from infragate.store.findings import Observed
from infragate.stress import runner, userfile
from infragate.stress.limits import BreakingPoint, breaking_point
from infragate.stress.results import StressResults
from infragate.stress.scenario import Scenario, build
from infragate.stress.userfile import UserLocustfile
from infragate.stress.verdicts import LOAD_REACHED, SloVerdict, cap_verdict, slo_verdicts, slowest
from infragate.workflow.approvals import approve_plan
from infragate.workflow.bus import handles
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.messages import Command, Http, Result
from infragate.workflow.project import ProjectWork, open_project
from infragate.workflow.provisioning import LocalResult
from infragate.workflow.records import SloRecord, StressSummary
from infragate.workflow.stress_cpu import cpu_during_test
from infragate.workload.process import ca_bundle

STRESS_PLAN = "stress-plan"  # the approval subject: a scenario and its caps, by digest


class StressOptions(BaseModel):
    """How to run the stress test (the load itself comes from the design unless an option overrides it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    workers: int = 1
    remote_workers: int = 0
    peak_rps: float | None = None
    hold_s: int | None = None
    ramp_s: int | None = None
    profile: str | None = None
    bind: str = "127.0.0.1"
    port: int | None = None
    find_limit: bool = False
    engine: str = "locust"  # or "loaderio"


@dataclass(frozen=True)
class StressOutcome:
    scenario: Scenario
    results: StressResults
    verdicts: list[SloVerdict]
    interrupted: bool
    folder: Path
    limit: BreakingPoint | None = None  # --find-limit
    warnings: tuple[str, ...] = ()  # what Locust warned of while it ran

    @property
    def not_evaluated(self) -> str:
        """Why the run measured nothing to judge, or "" when it did: no request in the window the verdicts
        judge (the hold; the whole run for --find-limit) got an HTTP response. A response, even a 500, is
        the system's answer and is judged; a refused or dropped connection is nobody's latency."""
        judged = self.results.overall if self.limit is not None else self.results.hold
        if judged.count > judged.unanswered:
            return ""
        said = f" (Locust: {self.warnings[0]})" if self.warnings else ""
        if judged.count:
            return f"none of its {judged.count} requests got an answer from {self.scenario.base_url}: is it up?"
        if self.results.capped is not None:
            return f"the {self.results.capped.cap} cap stopped it before the hold"
        if self.interrupted:
            return "it was interrupted before the hold"
        lost = [w for w in self.warnings if "missing" in w.lower() or "heartbeat" in w.lower()]
        if lost:
            return f"the load generator lost its worker (Locust: {lost[0]})"
        if self.results.overall.count == 0:
            return f"no request was sent{said}"
        return f"no request was made during the hold{said}"

    @property
    def held_rps(self) -> float | None:
        """The request rate the hold actually carried (not the target), when the run measured one."""
        return next((v.measured for v in self.verdicts if v.name == "load"), None)

    @property
    def passed(self) -> bool:
        return not self.interrupted and bool(self.verdicts) and all(v.passed for v in self.verdicts)


class StressTesting:
    """ICP-3.3 for one environment: the scenario, the run, the verdicts and their record."""

    def __init__(self, work: ProjectWork, settings: Settings, environment: str) -> None:
        self.work, self.settings, self.environment = work, settings, environment
        self.env = work.design.environment(environment)

    def scenario(self, options: StressOptions, *, to_run: bool = True) -> Scenario:
        """The scenario these options make. Only a scenario ``to_run`` needs the environment's trust (its CA
        bundle, which a workload makes when it starts): the trust is no part of the plan's digest."""
        if self.env.infrastructure.targets is None:
            raise UsageError(
                f"{self.environment} declares no targets (SLOs) to judge a stress test against",
                hint="Add targets: {peak_rps, p95_ms, p99_ms, max_error_rate} to the design.",
            )
        return build(
            self.env,
            ca_bundle(self.work.design, self.environment, self.settings.home) if to_run else None,
            peak_rps=options.peak_rps,
            hold_s=options.hold_s,
            ramp_s=options.ramp_s,
            profile=options.profile,
            find_limit=options.find_limit,
            locustfile=self._locustfile(),
        )

    def _locustfile(self) -> UserLocustfile | None:
        """The design's own locustfile for this environment (relative to the design file), checked."""
        stress = self.env.settings.stress
        if stress is None or stress.locustfile is None:
            return None
        path = (Path(self.work.design.path).parent / stress.locustfile).resolve()
        return userfile.inspect(path, f"environments.{self.environment}.stress.locustfile")

    def run(self, options: StressOptions, progress: Callable[[dict[str, float]], None] | None = None) -> StressOutcome:
        if options.engine == "loaderio":
            self._reachable_from_the_internet()
        scenario = self.scenario(options)
        if options.engine == "loaderio" and scenario.locustfile is not None:
            raise UsageError(
                f"{self.environment}'s stress scenario is a locustfile, and Loader.io runs URLs, not Python",
                hint="Use the Locust engine (the default), or give stress.requests instead of a locustfile.",
            )
        self.work.refuse_in_pentest_window(self.environment, "stress test")
        self.require_approval(scenario)
        folder = self._folder()
        if options.engine == "loaderio":
            return self._loaderio(scenario, folder)
        measured = runner.run(
            scenario,
            folder,
            workers=options.workers,
            remote_workers=options.remote_workers,
            bind=options.bind,
            port=options.port,
            progress=progress,
        )
        self._attach_cpu(measured.results, folder)
        targets = self.env.infrastructure.targets
        assert targets is not None
        if options.find_limit:
            limit = breaking_point(measured.results, targets, scenario.rps_per_user)
            last = limit.last_sustainable
            sustained = last.achieved_rps if last else 0.0
            verdict = SloVerdict(
                "sustainable at peak_rps",
                sustained >= LOAD_REACHED * targets.peak_rps,
                round(sustained, 1),
                targets.peak_rps,
                "requests/s",
                limit.describe(),
            )
            verdicts = [verdict]
        else:
            verdicts = slo_verdicts(measured.results, targets, scenario.peak_rps)
            limit = None
        if (over := cap_verdict(measured.results)) is not None:
            verdicts.append(over)
        return StressOutcome(
            scenario, measured.results, verdicts, measured.interrupted, folder, limit, measured.warnings
        )

    def _loaderio(self, scenario: Scenario, folder: Path) -> StressOutcome:
        """The same scenario through Loader.io: its servers load the public endpoint (never a pinned one)."""
        import os
        import time

        from infragate.stress import loaderio

        endpoint = self._reachable_from_the_internet()
        client = loaderio.LoaderIo(
            os.environ.get("INFRAGATE_LOADERIO_KEY", ""), os.environ.get("INFRAGATE_LOADERIO_URL") or loaderio.API
        )
        app = client.app(endpoint.host)
        client.verify(app)
        duration = int(scenario.hold[1] - scenario.hold[0]) or int(scenario.duration_s)
        started_at = time.time()
        result = client.run(loaderio.spec_of(scenario, str(endpoint.url), duration), deadline_s=duration + 300)
        results = loaderio.to_results(result, duration, started_at)
        folder.mkdir(parents=True, exist_ok=True)
        self._attach_cpu(results, folder)
        targets = self.env.infrastructure.targets
        assert targets is not None
        return StressOutcome(scenario, results, slo_verdicts(results, targets, scenario.peak_rps), False, folder)

    def _attach_cpu(self, results: StressResults, folder: Path) -> None:
        """The CloudWatch CPU of the environment's servers and databases over the test, kept with the results."""
        results.cloudwatch = cpu_during_test(self.settings, self.work.design, self.environment, results)
        (folder / "results.json").write_text(results.to_json())

    def _reachable_from_the_internet(self) -> Endpoint:
        """Loader.io's servers load the first endpoint: it must be public (real AWS, not pinned)."""
        if not self.env.settings.endpoints:
            raise UsageError(f"{self.environment} declares no endpoint to stress", hint="Add endpoints:.")
        endpoint = self.env.settings.endpoints[0]
        if self.env.settings.aws.embedded or endpoint.resolve is not None:
            raise UsageError(
                f"Loader.io loads {endpoint.url} from the internet, and {self.environment} "
                + ("is embedded AWS" if self.env.settings.aws.embedded else "pins it to a local address"),
                hint="Use the Locust engine (the default) for embedded or pinned environments.",
            )
        return endpoint

    def require_approval(self, scenario: Scenario) -> None:
        """Production load needs a lead's approval of this exact stress plan (scenario and caps)."""
        if not self.env.settings.is_production:
            return
        if self.work.plan_approver(scenario.digest, STRESS_PLAN) is None:
            raise RefusedError(
                f"a stress test of production needs a lead's approval of its stress plan {scenario.digest[:19]}…",
                hint=f"Review it with `infragate stress --env {self.environment} --plan`, then a lead runs "
                f"`infragate approve stress --env {self.environment}`.",
            )

    def record(self, outcome: StressOutcome) -> tuple[int, StressSummary]:
        hold = outcome.results.hold
        summary = StressSummary(
            passed=outcome.passed,
            interrupted=outcome.interrupted,
            profile="find-limit" if outcome.limit is not None else outcome.scenario.profile,
            peak_rps=outcome.scenario.peak_rps,
            requests=outcome.results.overall.count,
            hold=hold.model_dump(include={"count", "errors", "p50", "p95", "p99", "max"}, exclude_none=True),
            verdicts={
                v.name: SloRecord(passed=v.passed, measured=v.measured, target=v.target) for v in outcome.verdicts
            },
            slowest=[name for name, _p95 in slowest(outcome.results)],
            not_evaluated=outcome.not_evaluated,
        )
        if summary.not_evaluated:  # nothing measured: no SLO was missed by real load, and no finding is settled
            return self.work.record(
                self.environment,
                summary,
                succeeded=False,
                source="stress",
                artifact_path=str(outcome.folder / "results.json"),
            )
        findings = [
            Observed(
                fingerprint=hashlib.sha256(f"stress|{self.environment}|{v.name}".encode()).hexdigest(),
                rule_id=f"STRESS-{v.name.replace(' ', '-')}",
                component=self.environment,
                severity="high" if v.name in ("error rate", "load") else "medium",
                title=f"the stress test misses its {v.name} target at peak load",
                message=v.detail,
                clause="ICP-3.3",
            )
            for v in outcome.verdicts
            if not v.passed
        ]
        return self.work.record(
            self.environment,
            summary,
            succeeded=summary.passed,
            findings=findings,
            source="stress",
            artifact_path=str(outcome.folder / "results.json"),
        )

    def _folder(self) -> Path:
        import time

        stamp = time.strftime("%Y%m%d-%H%M%S")
        return self.settings.home / "stress" / self.work.design.project.name / self.environment / stamp


# -- use-cases ----------------------------------------------------------------------------------------------
class Stressed(LocalResult):
    outcome: StressOutcome
    run_id: int
    summary: StressSummary


class StressTest(Command[Stressed]):
    """Stress-test the environment (ICP-3.3) and record the run: production only with a lead's approval of
    this exact stress plan, never while a pentest window is open."""

    project: str
    environment: str
    options: StressOptions = Field(default_factory=StressOptions)


@handles(StressTest)
def stress_test(command: StressTest, caller: Caller, uow: UnitOfWork) -> Stressed:
    testing = StressTesting(open_project(uow, command.project, caller), uow.settings, command.environment)
    outcome = testing.run(command.options, progress=uow.view.stress_progress)
    for warning in outcome.warnings:  # every front end shows them: the terminal, a job's log
        uow.view.log(f"Locust: {warning}")
    run_id, summary = testing.record(outcome)
    return Stressed(outcome=outcome, run_id=run_id, summary=summary)


class StressPlan(LocalResult):
    scenario: Scenario


class GetStressPlan(Command[StressPlan]):
    """The stress plan these options make (scenario, load profile, caps) and its digest; nothing is sent.
    ``to_run``: with the environment's trust (its workload's CA), as a run needs it."""

    project: str
    environment: str
    options: StressOptions = Field(default_factory=StressOptions)
    to_run: bool = False
    approval: bool = True  # with to_run: refuse production without a lead's approval (a remote worker needs none)


@handles(GetStressPlan)
def stress_plan(command: GetStressPlan, caller: Caller, uow: UnitOfWork) -> StressPlan:
    testing = StressTesting(open_project(uow, command.project, caller), uow.settings, command.environment)
    options = command.options
    if command.to_run and options.engine == "locust":
        require("locust")  # before anything else: a run needs the 'stress' extra
    scenario = testing.scenario(options, to_run=command.to_run)
    if command.to_run and command.approval:
        testing.require_approval(scenario)
    return StressPlan(scenario=scenario)


class StressApproval(Result):
    result: str
    digest: str = Field(description="The approved stress plan's digest (scenario, load profile and caps).")


class ApproveStressPlan(Command[StressApproval]):
    """A lead approves the environment's stress plan, as the registered design makes it: a production stress
    test runs only with an approved plan (ICP-3.3). ``design_digest`` is the design the lead read the plan
    from: a design that differs would approve a plan nobody reviewed, so that is refused."""

    http = Http("POST", "/projects/{project}/environments/{environment}/stress-approvals", tag="approvals")
    project: str
    environment: str
    design_digest: str = Field(
        ..., pattern=r"^sha256:[0-9a-f]{64}$", description="The design digest the stress plan was reviewed from."
    )
    comment: str = Field("", max_length=2000)


@handles(ApproveStressPlan)
def approve_stress_plan(command: ApproveStressPlan, caller: Caller, uow: UnitOfWork) -> StressApproval:
    work = open_project(uow, command.project, caller)
    if command.design_digest != work.design.digest:
        raise RefusedError(
            f"you reviewed the stress plan of design {command.design_digest[:19]}…, and the project's registered "
            f"design is {work.design.digest[:19]}…",
            hint="Review the registered design's stress plan (or register yours with `infragate project init`).",
        )
    scenario = StressTesting(work, uow.settings, command.environment).scenario(StressOptions(), to_run=False)
    approve_plan(work, scenario.digest, command.environment, command.comment, subject=STRESS_PLAN)
    return StressApproval(result="approved", digest=scenario.digest)
