"""Monitoring and backup rules (ICP-5.2): production components are watched and can be restored."""

from __future__ import annotations

from infragate.model import Alarm, Database, Distribution, InstanceGroup, Section
from infragate.model.base import Component, ComponentKind
from infragate.model.names import is_placeholder
from infragate.model.operations import BackupPlan
from infragate.policy.context import RuleContext
from infragate.policy.findings import Severity
from infragate.policy.metrics import METRICS, NAMESPACES, alarm_problem
from infragate.policy.registry import RuleMeta, RuleSet, Verdict, fail, ok

rules = RuleSet()


DECIDES = {
    "MON-001": "Passes when an alarm on the component watches CPUUtilization, spelled exactly as CloudWatch does, and"
    " can fire (see MON-007).",
    "MON-002": "Passes when an alarm watches StatusCheckFailed, StatusCheckFailed_Instance or "
    "StatusCheckFailed_System (exact names) and can fire.",
    "MON-003": "Passes when an alarm on the database watches CPUUtilization (exact name) and can fire.",
    "MON-004": "Passes when an alarm on the database watches FreeStorageSpace (exact name) and can fire.",
    "MON-005": "Passes when an alarm on the distribution watches 5xxErrorRate or TotalErrorRate (exact names) and can"
    " fire.",
    "BAK-001": "Passes when some backup plan lists the instance group among its components (live: a backup selection "
    "names its instances, by ARN, by tag or with '*'). Not evaluated when selections cannot be read.",
    "BAK-002": "Passes when some backup plan lists the database among its components (live: a backup selection covers"
    " it). Not evaluated when selections cannot be read.",
}


def _alarm_on(component: Component, metrics: tuple[str, ...], what: str, context: RuleContext) -> Verdict:
    """Met by an alarm on one of ``metrics`` (exact names, as CloudWatch compares them) that can fire."""
    kind = _kind_of(component.name, context)
    alarms = [a for a in context.infrastructure.monitoring.alarms_for(component.name) if a.metric in metrics]
    firing = [alarm.name for alarm in alarms if kind is None or alarm_problem(alarm, kind) is None]
    if firing:
        return ok(f"{component.name} has a {what} alarm ({', '.join(firing)}).")
    if alarms:
        return fail(
            f"{component.name} has no {what} alarm that can fire ({', '.join(a.name for a in alarms)}: see MON-007)."
        )
    return fail(f"{component.name} has no {what} alarm ({' or '.join(metrics)}).")


def _kind_of(name: str, context: RuleContext) -> ComponentKind | None:
    return next((kind for kind, c in context.infrastructure.components() if c.name == name and kind in METRICS), None)


def _monitoring_meta(rule_id: str, title: str, metric: str, watched: Section) -> RuleMeta:
    return RuleMeta(
        id=rule_id,
        title=title,
        decides=DECIDES[rule_id],
        severity=Severity.MEDIUM,
        clause="ICP-5.2",
        rationale="Problems in production must page someone before clients notice them.",
        remediation=f"Add a monitoring.alarms entry with component set to this component and metric {metric}.",
        production_only=True,
        reads=frozenset({Section.MONITORING, watched}),
    )


@rules.each(
    _monitoring_meta("MON-001", "Production instance groups have a CPU alarm", "CPUUtilization", Section.COMPUTE),
    InstanceGroup,
)
def cloudwatch_instance_cpu_alarm(group: InstanceGroup, context: RuleContext) -> Verdict:
    return _alarm_on(group, ("CPUUtilization",), "CPU", context)


@rules.each(
    _monitoring_meta(
        "MON-002", "Production instance groups have a status-check alarm", "StatusCheckFailed", Section.COMPUTE
    ),
    InstanceGroup,
)
def cloudwatch_instance_status_alarm(group: InstanceGroup, context: RuleContext) -> Verdict:
    return _alarm_on(
        group,
        ("StatusCheckFailed", "StatusCheckFailed_Instance", "StatusCheckFailed_System"),
        "status-check",
        context,
    )


@rules.each(
    _monitoring_meta("MON-003", "Production databases have a CPU alarm", "CPUUtilization", Section.DATABASES), Database
)
def cloudwatch_database_cpu_alarm(db: Database, context: RuleContext) -> Verdict:
    return _alarm_on(db, ("CPUUtilization",), "CPU", context)


@rules.each(
    _monitoring_meta(
        "MON-004", "Production databases have a free-storage alarm", "FreeStorageSpace", Section.DATABASES
    ),
    Database,
)
def cloudwatch_database_storage_alarm(db: Database, context: RuleContext) -> Verdict:
    return _alarm_on(db, ("FreeStorageSpace",), "free-storage", context)


@rules.each(
    _monitoring_meta("MON-005", "Production distributions have a 5xx alarm", "5xxErrorRate", Section.DISTRIBUTIONS),
    Distribution,
)
def cloudwatch_distribution_5xx_alarm(dist: Distribution, context: RuleContext) -> Verdict:
    return _alarm_on(dist, ("5xxErrorRate", "TotalErrorRate"), "5xx error", context)


@rules.whole(
    RuleMeta(
        id="MON-006",
        decides="Fails when alarms exist but notify no real target (blank or placeholder entries do not count); not "
        "applicable without alarms.",
        title="Production alarms notify someone",
        severity=Severity.MEDIUM,
        clause="ICP-5.2",
        rationale="An alarm that notifies nobody is only a graph.",
        remediation="Set monitoring.notify to an SNS topic ARN or an on-call e-mail address.",
        production_only=True,
        reads=frozenset({Section.MONITORING}),
    ),
    ComponentKind.MONITORING,
    "monitoring",
)
def cloudwatch_alarms_notify(context: RuleContext) -> Verdict | None:
    monitoring = context.infrastructure.monitoring
    if not monitoring.alarms:
        return None
    targets = [target for target in monitoring.notify if not is_placeholder(target)]
    if not targets:
        return fail(f"{len(monitoring.alarms)} alarm(s) notify nobody: monitoring.notify names no real target.")
    return ok(f"Alarms notify {', '.join(targets)}.")


@rules.each(
    RuleMeta(
        id="MON-007",
        decides="Fails an alarm whose metric does not exist in its component's namespace (names are case-sensitive) "
        "or whose threshold the metric can never cross (CPU > 100 %, a 0/1 status check > 1, free storage < "
        "0).",
        title="Alarms watch a metric that exists, with a threshold it can cross",
        severity=Severity.MEDIUM,
        clause="ICP-5.2",
        rationale="CloudWatch metric names are case-sensitive and bounded: an alarm on 'cpuutilization', or on "
        "CPUUtilization > 100, never fires, so it monitors nothing.",
        remediation="Use the metric's exact name for the component's namespace and a threshold within its range.",
        reads=frozenset({Section.MONITORING, Section.COMPUTE, Section.DATABASES, Section.DISTRIBUTIONS}),
    ),
    over=Alarm,
)
def cloudwatch_alarm_can_fire(alarm: Alarm, context: RuleContext) -> Verdict | None:
    kind = _kind_of(alarm.component, context)
    if kind is None:
        return None  # an alarm on something outside the design's components: nothing to compare with
    problem = alarm_problem(alarm, kind)
    if problem is not None:
        return fail(f"Alarm {alarm.name} can never fire: {problem}.")
    return ok(f"Alarm {alarm.name} watches {NAMESPACES[kind]} {alarm.metric} and can fire.")


def _backed_up(component: Component, context: RuleContext) -> Verdict:
    plans = context.infrastructure.backup.plans_covering(component.name)
    if not plans:
        return fail(f"{component.name} is in no AWS Backup plan.")
    return ok(f"{component.name} is backed up by {', '.join(plan.name for plan in plans)}.")


def _backup_meta(rule_id: str, title: str, protected: Section) -> RuleMeta:
    return RuleMeta(
        id=rule_id,
        title=title,
        decides=DECIDES[rule_id],
        severity=Severity.HIGH,
        clause="ICP-5.2",
        rationale="The policy's pre-launch review requires working backup and recovery procedures.",
        remediation="Add the component to the components of a backup plan.",
        production_only=True,
        reads=frozenset({Section.BACKUP, Section.BACKUP_SELECTIONS, protected}),
    )


@rules.each(_backup_meta("BAK-001", "Production instance groups are in a backup plan", Section.COMPUTE), InstanceGroup)
def backup_plan_covers_instances(group: InstanceGroup, context: RuleContext) -> Verdict:
    return _backed_up(group, context)


@rules.each(_backup_meta("BAK-002", "Production databases are in a backup plan", Section.DATABASES), Database)
def backup_plan_covers_databases(db: Database, context: RuleContext) -> Verdict:
    return _backed_up(db, context)


@rules.each(
    RuleMeta(
        id="BAK-003",
        decides="Fails a plan whose shortest rule keeps recovery points fewer than 7 days; a rule without an expiry "
        "keeps them for ever.",
        title="Backup plans keep recovery points for at least 7 days",
        severity=Severity.MEDIUM,
        clause="ICP-5.2",
        rationale="Problems are often found days later; the backups must still be there.",
        remediation="Set retention_days to 7 or more.",
        reads=frozenset({Section.BACKUP}),
    ),
    over=BackupPlan,
)
def backup_plan_retention_week(plan: BackupPlan, context: RuleContext) -> Verdict:
    if plan.retention_days < 7:
        return fail(f"Backup plan {plan.name} keeps recovery points for {plan.retention_days} day(s).")
    return ok(f"Backup plan {plan.name} keeps recovery points for {plan.retention_days} days.")
