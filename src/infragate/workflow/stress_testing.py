"""Stress tests as evidence (ICP-3.3): the scenario from the design, the Locust run, the SLO verdicts, and the
record: a typed summary, and every failing SLO a finding (clause ICP-3.3)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infragate.errors import RefusedError, UsageError
from infragate.model.testing import Endpoint
from infragate.settings import Settings
from infragate.store.findings import Observed
from infragate.stress import runner, userfile
from infragate.stress.limits import BreakingPoint, breaking_point
from infragate.stress.scenario import Scenario, build
from infragate.stress.userfile import UserLocustfile
from infragate.stress.verdicts import LOAD_REACHED, SloVerdict, cap_verdict, slo_verdicts, slowest
from infragate.workflow.records import StressSummary
from infragate.workflow.service import Workflow
from infragate.workflow.stress_cpu import cpu_during_test
from infragate.workload.process import ca_bundle

STRESS_PLAN = "stress-plan"  # the approval subject: a scenario and its caps, by digest


@dataclass(frozen=True)
class StressOptions:
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
    results: dict[str, Any]
    verdicts: list[SloVerdict]
    interrupted: bool
    folder: Path
    limit: BreakingPoint | None = None  # --find-limit

    @property
    def passed(self) -> bool:
        return not self.interrupted and bool(self.verdicts) and all(v.passed for v in self.verdicts)


class StressTesting:
    """The ICP-3.3 use-cases of one environment, as the workflow's user."""

    def __init__(self, flow: Workflow, settings: Settings, environment: str) -> None:
        self.flow, self.settings, self.environment = flow, settings, environment
        self.env = flow.design.environment(environment)

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
            ca_bundle(self.flow.design, self.environment, self.settings.home) if to_run else None,
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
        path = (Path(self.flow.design.path).parent / stress.locustfile).resolve()
        return userfile.inspect(path, f"environments.{self.environment}.stress.locustfile")

    def run(self, options: StressOptions, progress: Callable[[dict[str, Any]], None] | None = None) -> StressOutcome:
        if options.engine == "loaderio":
            self._reachable_from_the_internet()
        scenario = self.scenario(options)
        if options.engine == "loaderio" and scenario.locustfile is not None:
            raise UsageError(
                f"{self.environment}'s stress scenario is a locustfile, and Loader.io runs URLs, not Python",
                hint="Use the Locust engine (the default), or give stress.requests instead of a locustfile.",
            )
        self.flow.refuse_in_pentest_window(self.environment, "stress test")
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
        return StressOutcome(scenario, measured.results, verdicts, measured.interrupted, folder, limit)

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
        results = {"started_at": started_at, **loaderio.to_results(result, duration, scenario.peak_rps)}
        folder.mkdir(parents=True, exist_ok=True)
        self._attach_cpu(results, folder)
        targets = self.env.infrastructure.targets
        assert targets is not None
        return StressOutcome(scenario, results, slo_verdicts(results, targets, scenario.peak_rps), False, folder)

    def _attach_cpu(self, results: dict[str, Any], folder: Path) -> None:
        """The CloudWatch CPU of the environment's servers and databases over the test, kept with the results."""
        import json

        results["cloudwatch"] = cpu_during_test(self.settings, self.flow.design, self.environment, results)
        (folder / "results.json").write_text(json.dumps(results, indent=2))

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
        if self.flow.plan_approver(scenario.digest, STRESS_PLAN) is None:
            raise RefusedError(
                f"a stress test of production needs a lead's approval of its stress plan {scenario.digest[:19]}…",
                hint=f"Review it with `infragate stress --env {self.environment} --plan`, then a lead runs "
                f"`infragate approve stress --env {self.environment}`.",
            )

    def approve(self, options: StressOptions, comment: str, reviewed_design: str | None = None) -> Scenario:
        """A lead approves the stress plan these options make (for production). ``reviewed_design`` is the
        design digest the lead read the plan from (from another machine): a server whose design differs would
        approve a plan nobody reviewed, so that is refused."""
        if reviewed_design is not None and reviewed_design != self.flow.design.digest:
            raise RefusedError(
                f"you reviewed the stress plan of design {reviewed_design[:19]}…, and the project's registered "
                f"design is {self.flow.design.digest[:19]}…",
                hint="Review the registered design's stress plan (or register yours with `infragate project init`).",
            )
        scenario = self.scenario(options, to_run=False)
        self.flow.approve_plan(scenario.digest, self.environment, comment, subject=STRESS_PLAN)
        return scenario

    def record(self, outcome: StressOutcome) -> tuple[int, StressSummary]:
        hold = outcome.results.get("hold", {})
        summary = StressSummary(
            passed=outcome.passed,
            interrupted=outcome.interrupted,
            profile="find-limit" if outcome.limit is not None else outcome.scenario.profile,
            peak_rps=outcome.scenario.peak_rps,
            requests=int(outcome.results.get("overall", {}).get("count", 0)),
            hold={k: hold[k] for k in ("count", "errors", "p50", "p95", "p99", "max") if k in hold},
            verdicts={
                v.name: {"passed": v.passed, "measured": v.measured, "target": v.target} for v in outcome.verdicts
            },
            slowest=[name for name, _p95 in slowest(outcome.results)],
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
        return self.flow.record_stress(self.environment, summary, findings, str(outcome.folder / "results.json"))

    def _folder(self) -> Path:
        import time

        stamp = time.strftime("%Y%m%d-%H%M%S")
        return self.settings.home / "stress" / self.flow.design.project.name / self.environment / stamp
