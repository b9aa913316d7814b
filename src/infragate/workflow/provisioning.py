"""Provisioning use-cases (ICP-2.1–2.3): plan, apply, destroy and verify one environment. The decisions live
here, for every front end:

* a writer takes the environment's lock first and reads the live resources only then, so a second writer
  plans against what the first one made (no duplicate instances, addresses, distributions or zones);
* only an ``AuthorisedPlan`` can be carried out, and only ``authorise`` makes one: a reviewed plan must be
  current, and an environment with ``requires_approval`` applies only a plan a current lead approved;
* an apply or destroy is a run that starts "running" and ends succeeded, failed or interrupted; if its
  process is killed, whoever takes the lock over marks it interrupted.

These commands read and change AWS from where they run: local mode and the workers (no API route).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import ConfigDict, Field

from infragate.errors import UsageError
from infragate.provision import service
from infragate.provision.executor import Result as ChangesResult
from infragate.provision.executor import Status as ChangeStatus
from infragate.provision.plan import Plan
from infragate.provision.service import Verification
from infragate.workflow.bus import handles
from infragate.workflow.connections import connect
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.locking import take_lock
from infragate.workflow.messages import Command, Result
from infragate.workflow.project import ProjectWork, open_project
from infragate.workflow.records import ChangesSummary, DestroySummary, PlanSummary, RunKind, VerifySummary

if TYPE_CHECKING:
    from infragate.aws import AwsConnection
    from infragate.inventory import Snapshot
    from infragate.model import EnvironmentSettings
    from infragate.store.locks import Lease


class PlanApprovalNeededError(UsageError):
    """The environment applies only a plan a current lead approved, and this one is not (``plan``)."""

    code = "plan.unapproved"

    def __init__(self, message: str, *, plan: Plan, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.plan = plan


@dataclass(frozen=True)
class AuthorisedPlan:
    """A plan that may be carried out now: current, of this environment, and approved by ``approver`` where
    the environment needs it. Only ``Writer.authorise`` and ``Writer.destroy_plan`` make one."""

    plan: Plan
    approver: str | None
    kind: str  # apply or destroy


class Environment:
    """One environment's AWS as a project use-case reads and changes it (one connection, made on first use)."""

    def __init__(self, work: ProjectWork, environment: str) -> None:
        work.design.environment(environment)
        self.work, self.environment = work, environment
        self._connection: AwsConnection | None = None

    @property
    def connection(self) -> AwsConnection:
        if self._connection is None:
            self._connection = environment_aws(self.work.uow, self.work.design.environment(self.environment).settings)
        return self._connection

    @property
    def target(self) -> str:
        return self.connection.spec.describe()

    def read(self, *, fresh: bool = False) -> Snapshot:
        """The live resources of the environment, read once per unit of work until something changes them."""
        uow, key = self.work.uow, (self.work.name, self.environment)
        if fresh or key not in uow.live:
            with uow.view.reading(self.target) as progress:
                uow.live[key] = service.read_live(self.connection, self.work.design, self.environment, progress)
        return uow.live[key]

    def plan(self, snapshot: Snapshot) -> Plan:
        """What apply would change (no AWS call beyond the read), recorded as a plan run."""
        planned = service.make_plan(self.work.design, self.environment, snapshot)
        self.work.record(
            self.environment, PlanSummary(plan=planned.digest, pending=len(planned.pending)), succeeded=True
        )
        return planned

    def verify(self, snapshot: Snapshot) -> Verification:
        """ICP-2.3 and ICP-4.2 evidence: what differs, and which public instances Shield does not cover."""
        from infragate.workflow.records import ShieldCoverage

        result = service.verify(self.connection, self.work.design, self.environment, snapshot)
        summary = VerifySummary(
            aligned=result.aligned,
            differs=[change.key for change in result.plan.pending],
            shield=ShieldCoverage(
                subscribed=result.shield_subscribed, uncovered=[instance.id for instance in result.uncovered()]
            ),
        )
        self.work.record(self.environment, summary, succeeded=result.aligned)
        return result

    @contextmanager
    def writing(self, purpose: str, *, lock_timeout_s: float = 0.0) -> Iterator[Writer]:
        """Hold the environment's lock for the block: the only way to change the environment."""
        with take_lock(self.work, self.environment, purpose, timeout_s=lock_timeout_s) as lease:
            yield Writer(self, lease)


def environment_aws(uow: UnitOfWork, settings: EnvironmentSettings) -> AwsConnection:
    """The AWS an environment uses: the unit of work's (a test's seam), else its own (embedded or its account)."""
    if uow.aws is not None:
        return uow.aws(settings)
    return connect(uow.settings, settings, uow.on_embedded_start)


class Writer:
    """Changes to one environment, made while its lock is held."""

    def __init__(self, environment: Environment, lease: Lease) -> None:
        self.env, self.lease = environment, lease

    def read(self) -> Snapshot:
        """The live resources, read under the lock: what the changes will be planned against."""
        return self.env.read(fresh=True)

    def authorise(self, snapshot: Snapshot, reviewed: Plan | None = None, source: str = "") -> AuthorisedPlan:
        """The plan apply may carry out: the reviewed one if it is still current, else a fresh one; and where
        the environment requires approval, only a reviewed plan a current lead approved."""
        work, env = self.env.work, self.env.environment
        design = work.design
        if reviewed is not None:
            if reviewed.project != design.project.name or reviewed.environment != env:
                raise UsageError(
                    f"{source} is a plan for {reviewed.project}/{reviewed.environment}, "
                    f"not {design.project.name}/{env}",
                    hint="Write a plan for this environment with `infragate plan --env NAME --out plan.json`.",
                )
            service.check_current(reviewed, design, env, snapshot, source)
        chosen = reviewed or service.make_plan(design, env, snapshot)
        if reviewed is None:  # what apply would do now is a plan too: kept, as the dashboard shows it
            work.record(env, PlanSummary(plan=chosen.digest, pending=len(chosen.pending)), succeeded=True)
        if not design.environment(env).settings.requires_approval or not chosen.pending:
            return AuthorisedPlan(chosen, None, RunKind.APPLY)
        approver = work.plan_approver(chosen.digest)  # a lead approved exactly this plan (same digest)
        if approver is None and reviewed is None:
            raise PlanApprovalNeededError(
                f"environment {env} requires an approved plan",
                plan=chosen,
                hint="Write one with `infragate plan --env NAME --out plan.json`, have a lead run "
                "`infragate approve plan plan.json`, then apply --plan plan.json.",
            )
        if approver is None:
            raise PlanApprovalNeededError(
                f"plan {chosen.digest[:19]}… has not been approved by a lead of {design.project.name}",
                plan=chosen,
                hint="A lead reviews it and runs `infragate approve plan PLAN` (as INFRAGATE_USER).",
            )
        return AuthorisedPlan(chosen, approver, RunKind.APPLY)

    def destroy_plan(self, snapshot: Snapshot) -> AuthorisedPlan:
        return AuthorisedPlan(
            service.destroy_plan(self.env.work.design, self.env.environment, snapshot), None, RunKind.DESTROY
        )

    def execute(self, authorised: AuthorisedPlan, snapshot: Snapshot, *, parallelism: int = 8) -> ChangesResult:
        """Carry the plan out and record it as a run that is "running" until it ends (interrupted when killed)."""
        work, env, uow = self.env.work, self.env.environment, self.env.work.uow
        plan = authorised.plan
        record = (DestroySummary if authorised.kind == RunKind.DESTROY else ChangesSummary)(
            plan=plan.digest, pending=len(plan.pending)
        )
        if not plan.pending:
            work.record(env, record, succeeded=True)
            return ChangesResult((), False)
        run_id = work.begin_run(env, record)
        self.lease.attach_run(run_id)
        uow.live.pop((work.name, env), None)  # what was read is about to change
        with uow.view.changing(len(plan.pending)) as progress:
            result = service.apply(
                plan,
                self.env.connection,
                work.design,
                snapshot,
                parallelism=parallelism,
                progress=progress,
                should_stop=uow.view.should_stop,
            )
        counts = {status.value: sum(1 for o in result.outcomes if o.status is status) for status in ChangeStatus}
        done = record.model_copy(update={"outcomes": counts, "interrupted": result.interrupted})
        work.end_run(run_id, done, succeeded=result.succeeded)
        return result


# -- use-cases ----------------------------------------------------------------------------------------------
class LocalResult(Result):
    """A result that carries infragate's own objects (a plan, a snapshot): it stays in the process."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)


class Planned(LocalResult):
    plan: Plan
    target: str


class MakePlan(Command[Planned]):
    """Read the environment and show what apply would change (recorded as a plan run)."""

    project: str
    environment: str


@handles(MakePlan)
def make_plan(command: MakePlan, caller: Caller, uow: UnitOfWork) -> Planned:
    env = Environment(open_project(uow, command.project, caller), command.environment)
    return Planned(plan=env.plan(env.read()), target=env.target)


class Applied(LocalResult):
    """What an apply or destroy did: each change's outcome, or that there was nothing to do."""

    result: ChangesResult
    plan: Plan
    approver: str | None
    target: str
    declined: bool = False  # the person said no when asked to confirm

    @property
    def counts(self) -> dict[str, int]:
        return {s.value: sum(1 for o in self.result.outcomes if o.status is s) for s in ChangeStatus}

    @property
    def succeeded(self) -> bool:
        return not self.declined and self.result.succeeded

    @property
    def interrupted(self) -> bool:
        return self.result.interrupted


class Apply(Command[Applied]):
    """Make the environment match its design: a reviewed plan (when given, refused if stale or, where approval
    is required, unapproved) or a fresh one, under the environment's lock."""

    project: str
    environment: str
    plan: str | None = None  # the reviewed plan's JSON
    plan_source: str = "the plan"
    parallelism: int = Field(8, ge=1, le=64)
    lock_timeout_s: float = 0.0
    purpose: str = "apply"


@handles(Apply)
def apply(command: Apply, caller: Caller, uow: UnitOfWork) -> Applied:
    reviewed = Plan.from_json(command.plan, command.plan_source) if command.plan is not None else None
    env = Environment(open_project(uow, command.project, caller), command.environment)
    with env.writing(command.purpose, lock_timeout_s=command.lock_timeout_s) as writer:
        snapshot = writer.read()
        authorised = writer.authorise(snapshot, reviewed, command.plan_source)
        plan = authorised.plan
        if plan.pending and not uow.view.confirm_changes(plan, env.target, destroy=False):
            return Applied(
                result=ChangesResult((), False),
                plan=plan,
                approver=authorised.approver,
                target=env.target,
                declined=True,
            )
        result = writer.execute(authorised, snapshot, parallelism=command.parallelism)
    return Applied(result=result, plan=plan, approver=authorised.approver, target=env.target)


class Destroy(Command[Applied]):
    """Delete everything the project owns in the environment, in reverse dependency order (never the account's
    Shield subscription), under the environment's lock."""

    project: str
    environment: str
    parallelism: int = Field(8, ge=1, le=64)
    lock_timeout_s: float = 0.0


@handles(Destroy)
def destroy(command: Destroy, caller: Caller, uow: UnitOfWork) -> Applied:
    env = Environment(open_project(uow, command.project, caller), command.environment)
    with env.writing("destroy", lock_timeout_s=command.lock_timeout_s) as writer:
        snapshot = writer.read()
        authorised = writer.destroy_plan(snapshot)
        plan = authorised.plan
        if not [c for c in plan.pending if c.kind.value != "shield"]:
            return Applied(result=ChangesResult((), False), plan=plan, approver=None, target=env.target)
        if not uow.view.confirm_changes(plan, env.target, destroy=True):
            return Applied(result=ChangesResult((), False), plan=plan, approver=None, target=env.target, declined=True)
        result = writer.execute(authorised, snapshot, parallelism=command.parallelism)
    return Applied(result=result, plan=plan, approver=None, target=env.target)


class Verified(LocalResult):
    verification: Verification
    target: str

    @property
    def aligned(self) -> bool:
        return self.verification.aligned

    @property
    def differs(self) -> list[str]:
        return [change.key for change in self.verification.plan.pending]


class Verify(Command[Verified]):
    """Check that the live environment matches its design (ICP-2.3) and that Shield covers every public EC2
    instance in the account (ICP-4.2), recorded as a verify run."""

    project: str
    environment: str


@handles(Verify)
def verify(command: Verify, caller: Caller, uow: UnitOfWork) -> Verified:
    env = Environment(open_project(uow, command.project, caller), command.environment)
    return Verified(verification=env.verify(env.read()), target=env.target)
