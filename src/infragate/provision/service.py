"""Plan, apply, verify and destroy one environment: the steps the CLI (and later the workflow) runs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from infragate.design import Design
from infragate.errors import AwsError, UsageError
from infragate.inventory import COLLECTORS, LiveInstance, Scope, Snapshot, collect
from infragate.inventory import ec2 as ec2_collector
from infragate.inventory import shield as shield_collector
from infragate.inventory.runner import Progress as InventoryProgress
from infragate.model import ComponentKind, Section
from infragate.provision.context import ApplyContext
from infragate.provision.diff import PHASES, diff, digest_of, live_components, live_digest
from infragate.provision.executor import Progress, Result, execute
from infragate.provision.handlers import HANDLERS, requirements
from infragate.provision.plan import Action, AttributeChange, Change, Plan

if TYPE_CHECKING:  # for annotations only: importing it at run time would load boto3 or SQLAlchemy
    from infragate.aws import AwsConnection

# Unreadable only on some endpoints, and planned around (see diff): not a reason to refuse to plan.
TOLERATED = frozenset({Section.BACKUP_SELECTIONS})


def scope_of(design: Design, environment: str) -> Scope:
    return Scope(design.project.name, environment)


def read_live(
    connection: AwsConnection, design: Design, environment: str, progress: InventoryProgress | None = None
) -> Snapshot:
    """The project's live resources in this environment; refuses to go on if a service could not be read."""
    region = design.environment(environment).settings.region
    snapshot = collect(connection, COLLECTORS, scope_of(design, environment), regions=(region,), progress=progress)
    blocking = [f for f in snapshot.failures if f.sections - TOLERATED]
    if blocking:
        details = "; ".join(f"{f.collector}: {f.message}" for f in blocking)
        raise AwsError(
            f"cannot compare the design with AWS, because part of it could not be read ({details})",
            hint="Fix the cause (permissions, endpoint) and try again; planning on partial data could delete things.",
        )
    return snapshot


# Changing these changes ids, addresses or domains that other resources point at.
RIPPLING = frozenset({ComponentKind.INSTANCE_GROUP, ComponentKind.DISTRIBUTION, ComponentKind.HOSTED_ZONE})
FOLLOWS = "follows"


def _with_followers(changes: tuple[Change, ...], design: Design, environment: str) -> tuple[Change, ...]:
    """Unchanged resources that point at a changing one are refreshed too: DNS records list a group's EIPs,
    alarms watch its instances, Shield protects its addresses. Shown as an update that follows the cause."""
    desired = design.environment(environment).infrastructure
    moving = {c.key for c in changes if c.kind in RIPPLING and c.action is not Action.NOOP}
    result = []
    for change in changes:
        causes = requirements(change, desired) & moving if change.action is Action.NOOP else set()
        if causes:
            change = Change(change.kind, change.name, Action.UPDATE, (AttributeChange(FOLLOWS, None, sorted(causes)),))
        result.append(change)
    return tuple(result)


def make_plan(design: Design, environment: str, snapshot: Snapshot) -> Plan:
    """A pure diff: no AWS calls beyond the inventory already read."""
    env = design.environment(environment)
    live = live_components(snapshot)  # assembled once: the diff and the live digest both read it
    changes = _with_followers(diff(env.infrastructure, snapshot, live), design, environment)
    notes = tuple(f"{f.collector}: {f.message}" for f in snapshot.failures)
    return Plan(design.project.name, environment, design.digest, digest_of(live), changes, notes)


def destroy_plan(design: Design, environment: str, snapshot: Snapshot) -> Plan:
    """Every resource the project owns in the environment, deleted; Shield protections too, not the subscription."""
    env = design.environment(environment)
    live = live_components(snapshot)
    changes = [
        Change(kind, name, Action.DELETE, tuple(AttributeChange(a, v, None) for a, v in sorted(attributes.items())))
        for (kind, name), attributes in live.items()
        if kind not in (ComponentKind.SHIELD, ComponentKind.BACKUP)
    ]
    changes.append(Change(ComponentKind.SHIELD, "shield", Action.DELETE))
    if env.infrastructure.backup.vault in snapshot.backup_vaults and env.infrastructure.backup.plans:
        changes.append(Change(ComponentKind.BACKUP, env.infrastructure.backup.vault, Action.DELETE))
    changes.sort(key=lambda c: (PHASES.index(c.kind), c.name))
    return Plan(design.project.name, environment, design.digest, digest_of(live), tuple(changes))


def check_current(plan: Plan, design: Design, environment: str, snapshot: Snapshot, source: str) -> None:
    """Refuse a plan made for another environment, another design, or a live state that has changed."""
    if (plan.project, plan.environment) != (design.project.name, environment):
        raise UsageError(
            f"{source} is a plan for {plan.project}/{plan.environment}, not {design.project.name}/{environment}",
            hint="Use the plan made for this environment.",
        )
    if plan.design_digest != design.digest:
        raise UsageError(
            f"{source} was made from another version of the design ({plan.design_digest[:19]}…)",
            hint="The design changed since the plan was made; plan again.",
        )
    if plan.live_digest != live_digest(snapshot):
        raise UsageError(
            f"{source} is stale: the live resources changed since it was made",
            hint="Plan again, review the new plan, and apply that one.",
        )


def dependencies(changes: Sequence[Change], design: Design, environment: str) -> dict[str, set[str]]:
    """What each change waits for: what it builds on, and for a deletion everything of later phases."""
    desired = design.environment(environment).infrastructure
    needs = {change.key: requirements(change, desired) for change in changes}
    for change in changes:
        if change.action is Action.DELETE:
            later = {c.key for c in changes if PHASES.index(c.kind) > PHASES.index(change.kind)}
            needs[change.key] = later
    return needs


def apply(
    plan: Plan,
    connection: AwsConnection,
    design: Design,
    snapshot: Snapshot,
    *,
    parallelism: int = 8,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Result:
    env = design.environment(plan.environment)
    ctx = ApplyContext(
        connection=connection,
        scope=scope_of(design, plan.environment),
        desired=env.infrastructure,
        snapshot=snapshot,
        production=env.settings.is_production,
    )

    def run(change: Change) -> None:
        HANDLERS[change.kind](ctx, change)

    pending = plan.pending
    needs = dependencies(pending, design, plan.environment)
    return execute(pending, needs, run, parallelism=parallelism, progress=progress, should_stop=should_stop)


class Alignment(StrEnum):
    MATCHES = "matches"
    DIFFERS = "differs"
    MISSING = "missing"
    UNEXPECTED = "unexpected"


ALIGNMENT_OF = {
    Action.NOOP: Alignment.MATCHES,
    Action.UPDATE: Alignment.DIFFERS,
    Action.REPLACE: Alignment.DIFFERS,
    Action.CREATE: Alignment.MISSING,
    Action.DELETE: Alignment.UNEXPECTED,
}


@dataclass(frozen=True)
class Verification:
    """ICP-2.3 evidence: each component live vs design, and Shield coverage of every public EC2 instance."""

    plan: Plan
    public_instances: tuple[LiveInstance, ...]
    shield_subscribed: bool
    protected: frozenset[str]

    def alignment(self, change: Change) -> Alignment:
        return ALIGNMENT_OF[change.action]

    def uncovered(self) -> list[LiveInstance]:
        if not self.shield_subscribed:
            return list(self.public_instances)
        return [i for i in self.public_instances if i.eip_allocation_arn not in self.protected]

    @property
    def aligned(self) -> bool:
        return not self.plan.pending and not self.uncovered()


def verify(connection: AwsConnection, design: Design, environment: str, snapshot: Snapshot) -> Verification:
    """Compare live with design, and check Shield over the whole account (not only the project)."""
    region = design.environment(environment).settings.region
    account = collect(connection, [ec2_collector.COLLECTOR, shield_collector.COLLECTOR], Scope(), regions=(region,))
    if account.failures:
        details = "; ".join(f"{f.collector}: {f.message}" for f in account.failures)
        raise AwsError(f"cannot check Shield coverage across the account ({details})")
    public = tuple(i for i in account.instances if i.public_ip)
    return Verification(
        make_plan(design, environment, snapshot), public, account.shield_subscribed, frozenset(account.protected_arns)
    )
