"""Provisioning use-cases (ICP-2.1–2.3): plan, apply, destroy and verify one environment, as every front end
calls them. The decisions live here, not in the CLI:

* a writer takes the environment's lock first and reads the live resources only then, so a second writer
  plans against what the first one made (no duplicate instances, addresses, distributions or zones);
* a reviewed plan is refused when it is stale, and an environment with ``requires_approval`` applies only a
  plan a current lead of the project approved;
* an apply or destroy is a run that starts "running" and ends succeeded, failed or interrupted; if its
  process is killed, whoever takes the lock over marks it interrupted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from infragate.errors import UsageError
from infragate.inventory import Snapshot
from infragate.inventory.runner import Progress as ReadProgress
from infragate.provision import service
from infragate.provision.executor import Progress as ChangeProgress
from infragate.provision.executor import Result
from infragate.provision.plan import Plan
from infragate.settings import Settings
from infragate.store.locks import Lease, LockInfo
from infragate.workflow.connections import connect
from infragate.workflow.records import ChangesSummary, DestroySummary, PlanSummary, RunKind
from infragate.workflow.runs import changes_summary

if TYPE_CHECKING:  # boto3 and SQLAlchemy load only in commands that use them
    from infragate.aws import AwsConnection
    from infragate.workflow.service import Workflow


@dataclass(frozen=True)
class ApprovedPlan:
    """A plan that may be applied now: current, and approved by ``approver`` where the environment needs it."""

    plan: Plan
    approver: str | None


@dataclass
class Provisioning:
    flow: Workflow
    settings: Settings
    environment: str
    on_embedded_start: Callable[[], None] | None = None
    _connection: AwsConnection | None = field(default=None, init=False, repr=False)

    @property
    def connection(self) -> AwsConnection:
        if self._connection is None:
            settings = self.flow.design.environment(self.environment).settings
            self._connection = connect(self.settings, settings, self.on_embedded_start)
        return self._connection

    def read(self, progress: ReadProgress | None = None) -> Snapshot:
        return service.read_live(self.connection, self.flow.design, self.environment, progress)

    def plan(self, snapshot: Snapshot) -> Plan:
        """What apply would change (no AWS call beyond the read), recorded as a plan run."""
        planned = service.make_plan(self.flow.design, self.environment, snapshot)
        self.flow.record_run(
            self.environment, PlanSummary(plan=planned.digest, pending=len(planned.pending)), succeeded=True
        )
        return planned

    def verify(self, snapshot: Snapshot) -> service.Verification:
        result = service.verify(self.connection, self.flow.design, self.environment, snapshot)
        self.flow.record_verification(self.environment, result)
        return result

    @contextmanager
    def writing(
        self, purpose: str, *, lock_timeout_s: float = 0.0, on_wait: Callable[[LockInfo], None] | None = None
    ) -> Iterator[Writer]:
        """Hold the environment's lock for the block: the only way to change the environment."""
        with self.flow.lock(self.environment, purpose, timeout_s=lock_timeout_s, on_wait=on_wait) as lease:
            yield Writer(self, lease)


@dataclass
class Writer:
    """Changes to one environment, made while its lock is held."""

    provisioning: Provisioning
    lease: Lease

    @property
    def _env(self) -> str:
        return self.provisioning.environment

    def read(self, progress: ReadProgress | None = None) -> Snapshot:
        """The live resources, read under the lock: what the changes will be planned against."""
        return self.provisioning.read(progress)

    def approved_plan(self, snapshot: Snapshot, reviewed: Plan | None = None, source: str = "") -> ApprovedPlan:
        """The plan apply may carry out: the reviewed one if it is still current, else a fresh one; and where
        the environment requires approval, only a reviewed plan a current lead approved."""
        flow = self.provisioning.flow
        design = flow.design
        if reviewed is not None:
            if reviewed.project != design.project.name or reviewed.environment != self._env:
                raise UsageError(
                    f"{source} is a plan for {reviewed.project}/{reviewed.environment}, "
                    f"not {design.project.name}/{self._env}",
                    hint="Write a plan for this environment with `infragate plan --env NAME --out plan.json`.",
                )
            service.check_current(reviewed, design, self._env, snapshot, source)
        chosen = reviewed or service.make_plan(design, self._env, snapshot)
        if not design.environment(self._env).settings.requires_approval or not chosen.pending:
            return ApprovedPlan(chosen, None)
        if reviewed is None:
            raise UsageError(
                f"environment {self._env} requires an approved plan",
                hint="Write one with `infragate plan --env NAME --out plan.json`, have a lead run "
                "`infragate approve plan plan.json`, then apply --plan plan.json.",
            )
        approver = flow.plan_approver(chosen.digest)
        if approver is None:
            raise UsageError(
                f"plan {chosen.digest[:19]}… has not been approved by a lead of {design.project.name}",
                hint="A lead reviews it and runs `infragate approve plan PLAN` (as INFRAGATE_USER).",
            )
        return ApprovedPlan(chosen, approver)

    def destroy_plan(self, snapshot: Snapshot) -> Plan:
        return service.destroy_plan(self.provisioning.flow.design, self._env, snapshot)

    def execute(
        self,
        plan: Plan,
        snapshot: Snapshot,
        *,
        kind: str,
        parallelism: int = 8,
        progress: ChangeProgress | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> Result:
        """Carry the plan out and record it as a run that is "running" until it ends (interrupted when killed)."""
        flow = self.provisioning.flow
        record = (DestroySummary if kind == RunKind.DESTROY else ChangesSummary)(
            plan=plan.digest, pending=len(plan.pending)
        )
        if not plan.pending:
            flow.record_run(self._env, record, succeeded=True)
            return Result((), False)
        run_id = flow.begin_run(self._env, record)
        self.lease.attach_run(run_id)
        result = service.apply(
            plan,
            self.provisioning.connection,
            flow.design,
            snapshot,
            parallelism=parallelism,
            progress=progress,
            should_stop=should_stop,
        )
        flow.end_run(run_id, changes_summary(record, result), succeeded=result.succeeded)
        return result
