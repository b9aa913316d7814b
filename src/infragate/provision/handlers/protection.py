"""What keeps the environment alive: Shield Advanced protections, CloudWatch alarms, AWS Backup."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from infragate.errors import AwsError, AwsNotFoundError
from infragate.inventory import arns
from infragate.model import Alarm
from infragate.model.operations import Comparison
from infragate.provision.context import ApplyContext
from infragate.provision.handlers.compute import addresses_of, instances_of
from infragate.provision.handlers.data import bucket_name, database_id
from infragate.provision.handlers.edge import distribution_of, find_zone
from infragate.provision.plan import Action, Change

if TYPE_CHECKING:  # the documented shapes of Shield's, CloudWatch's and Backup's answers (boto3-stubs)
    from mypy_boto3_backup.type_defs import (
        BackupPlanInputTypeDef,
        BackupPlansListMemberTypeDef,
        BackupSelectionsListMemberTypeDef,
        CreateBackupPlanOutputTypeDef,
    )
    from mypy_boto3_cloudwatch.type_defs import MetricAlarmTypeDef
    from mypy_boto3_shield.type_defs import ProtectionTypeDef

OPERATORS = {
    Comparison.GT: "GreaterThanThreshold",
    Comparison.GE: "GreaterThanOrEqualToThreshold",
    Comparison.LT: "LessThanThreshold",
    Comparison.LE: "LessThanOrEqualToThreshold",
}
PROTECTION_NAME = re.compile(r"[^a-zA-Z0-9_.-]")


# -- Shield ---------------------------------------------------------------------------------------------
def _subscribed(ctx: ApplyContext) -> bool:
    try:
        ctx.call("shield", "describe_subscription")
    except AwsNotFoundError:
        return False
    return True


def _wanted_protections(ctx: ApplyContext) -> dict[str, str]:
    """ARN -> protection name, for everything the design asks Shield to protect."""
    desired, shield = ctx.desired, ctx.desired.shield
    wanted: dict[str, str] = {}
    for name, group in desired.compute.items():
        if group.elastic_ip and shield.covers_eips_of(name):
            for address in addresses_of(ctx, name):
                arn = arns.eip_allocation(ctx.region, ctx.account, address["AllocationId"])
                wanted[arn] = f"{name}-{address['AllocationId']}"
    for name in desired.distributions:
        found = distribution_of(ctx, name) if shield.covers_distribution(name) else None
        if found is not None:
            wanted[str(found["ARN"])] = name
    for name in desired.dns:
        zone = find_zone(ctx, name) if shield.covers_zone(name) else None
        if zone is not None:
            wanted[arns.hosted_zone(zone)] = name
    return {arn: PROTECTION_NAME.sub("-", ctx.aws_name(label))[:128] for arn, label in wanted.items()}


def _ours(ctx: ApplyContext, protection: ProtectionTypeDef) -> bool:
    return str(protection.get("Name", "")).startswith(ctx.scope.prefix)


def apply_shield(ctx: ApplyContext, change: Change) -> None:
    current: list[ProtectionTypeDef] = ctx.pages("shield", "list_protections", "Protections")
    if change.action is Action.DELETE:  # destroy: remove our protections; the subscription is the account's
        for protection in current:
            if _ours(ctx, protection):
                ctx.call("shield", "delete_protection", ProtectionId=protection["Id"])
        return
    if ctx.desired.shield.advanced and not _subscribed(ctx):
        ctx.call("shield", "create_subscription")
    wanted = _wanted_protections(ctx)
    protected = {str(p["ResourceArn"]) for p in current}
    for arn, name in sorted(wanted.items()):
        if arn not in protected:
            ctx.call("shield", "create_protection", Name=name, ResourceArn=arn, Tags=ctx.tags("shield"))
    for protection in current:
        if _ours(ctx, protection) and protection["ResourceArn"] not in wanted:
            ctx.call("shield", "delete_protection", ProtectionId=protection["Id"])


# -- CloudWatch -----------------------------------------------------------------------------------------
def _targets(ctx: ApplyContext, alarm: Alarm) -> list[tuple[str, str, list[dict[str, str]]]]:
    """(alarm name, namespace, dimensions) per AWS alarm: one per instance for an instance group."""
    desired, base = ctx.desired, ctx.aws_name(alarm.name)
    if alarm.component in desired.compute:
        return [
            (f"{base}/{i['InstanceId']}", "AWS/EC2", [{"Name": "InstanceId", "Value": i["InstanceId"]}])
            for i in instances_of(ctx, alarm.component)
        ]
    if alarm.component in desired.databases:
        dimension = {"Name": "DBInstanceIdentifier", "Value": database_id(ctx, alarm.component)}
        return [(base, "AWS/RDS", [dimension])]
    if alarm.component in desired.distributions:
        found = distribution_of(ctx, alarm.component)
        if found is None:
            raise AwsError(f"distribution {alarm.component} does not exist yet for alarm {alarm.name}")
        dimensions = [{"Name": "DistributionId", "Value": found["Id"]}, {"Name": "Region", "Value": "Global"}]
        return [(base, "AWS/CloudFront", dimensions)]
    raise AwsError(f"alarm {alarm.name} watches {alarm.component}, which this design cannot alarm on")


def _existing_alarms(ctx: ApplyContext, name: str) -> list[str]:
    prefix = ctx.aws_name(name)
    alarms: list[MetricAlarmTypeDef] = ctx.pages(
        "cloudwatch", "describe_alarms", "MetricAlarms", AlarmNamePrefix=prefix
    )
    names = [a.get("AlarmName", "") for a in alarms]
    return [n for n in names if n == prefix or n.startswith(prefix + "/")]


def put_alarm(ctx: ApplyContext, name: str) -> None:
    alarm = ctx.desired.monitoring.alarms[name]
    actions = [target for target in ctx.desired.monitoring.notify if target.startswith("arn:")]
    wanted = _targets(ctx, alarm)
    for alarm_name, namespace, dimensions in wanted:
        ctx.call(
            "cloudwatch",
            "put_metric_alarm",
            AlarmName=alarm_name,
            MetricName=alarm.metric,
            Namespace=namespace,
            Dimensions=dimensions,
            Statistic=alarm.statistic.value,
            Period=alarm.period_seconds,
            EvaluationPeriods=alarm.evaluation_periods,
            Threshold=alarm.threshold,
            ComparisonOperator=OPERATORS[alarm.comparison],
            AlarmActions=actions,
            Tags=ctx.tags(name),
        )
    stale = set(_existing_alarms(ctx, name)) - {w[0] for w in wanted}  # instances that are gone
    if stale:
        ctx.call("cloudwatch", "delete_alarms", AlarmNames=sorted(stale))


def apply_alarm(ctx: ApplyContext, change: Change) -> None:
    if change.action is Action.DELETE:
        existing = _existing_alarms(ctx, change.name)
        if existing:
            ctx.call("cloudwatch", "delete_alarms", AlarmNames=existing)
        return
    put_alarm(ctx, change.name)


def apply_monitoring(ctx: ApplyContext, change: Change) -> None:
    """Who alarms notify is part of every alarm: re-put them all."""
    if change.action is not Action.DELETE:
        for name in ctx.desired.monitoring.alarms:
            put_alarm(ctx, name)


# -- AWS Backup -----------------------------------------------------------------------------------------
def apply_vault(ctx: ApplyContext, change: Change) -> None:
    if change.action is Action.DELETE:
        ctx.call("backup", "delete_backup_vault", BackupVaultName=change.name)
        return
    try:
        ctx.call("backup", "describe_backup_vault", BackupVaultName=change.name)
    except AwsError:
        ctx.call(
            "backup",
            "create_backup_vault",
            BackupVaultName=change.name,
            BackupVaultTags=ctx.tag_map("backup-vault"),
            CreatorRequestId=ctx.token("vault"),
        )


def _find_plan(ctx: ApplyContext, name: str) -> str | None:
    wanted = ctx.aws_name(name)
    plans: list[BackupPlansListMemberTypeDef] = ctx.pages("backup", "list_backup_plans", "BackupPlansList")
    for plan in plans:
        if plan.get("BackupPlanName") == wanted:
            return str(plan["BackupPlanId"])
    return None


def _resource_arns(ctx: ApplyContext, components: tuple[str, ...]) -> list[str]:
    found = []
    for component in components:
        if component in ctx.desired.compute:
            found += [arns.instance(ctx.region, ctx.account, i["InstanceId"]) for i in instances_of(ctx, component)]
        elif component in ctx.desired.databases:
            found.append(
                f"arn:{arns.partition(ctx.region)}:rds:{ctx.region}:{ctx.account}:db:{database_id(ctx, component)}"
            )
        elif component in ctx.desired.buckets:
            found.append(arns.bucket(bucket_name(ctx, component), ctx.region))
    return found


def _plan_document(ctx: ApplyContext, name: str) -> BackupPlanInputTypeDef:
    plan = ctx.desired.backup.plans[name]
    return {
        "BackupPlanName": ctx.aws_name(name),
        "Rules": [
            {
                "RuleName": "scheduled",
                "TargetBackupVaultName": ctx.desired.backup.vault,
                "ScheduleExpression": plan.schedule,
                "Lifecycle": {"DeleteAfterDays": plan.retention_days},
            }
        ],
    }


def _delete_selections(ctx: ApplyContext, plan_id: str) -> None:
    selections: list[BackupSelectionsListMemberTypeDef] = ctx.pages(
        "backup", "list_backup_selections", "BackupSelectionsList", BackupPlanId=plan_id
    )
    for item in selections:
        ctx.call("backup", "delete_backup_selection", BackupPlanId=plan_id, SelectionId=item["SelectionId"])


def apply_backup_plan(ctx: ApplyContext, change: Change) -> None:
    existing = _find_plan(ctx, change.name)
    if change.action is Action.DELETE:
        if existing is not None:
            _delete_selections(ctx, existing)
            ctx.call("backup", "delete_backup_plan", BackupPlanId=existing)
        return
    plan = ctx.desired.backup.plans[change.name]
    if existing is None:
        created: CreateBackupPlanOutputTypeDef = ctx.call(
            "backup",
            "create_backup_plan",
            BackupPlan=_plan_document(ctx, change.name),
            BackupPlanTags=ctx.tag_map(change.name),
            CreatorRequestId=ctx.token("plan", change.name),
        )
        existing = created["BackupPlanId"]
    elif {a.attribute for a in change.attributes} & {"schedule", "retention_days"}:
        ctx.call("backup", "update_backup_plan", BackupPlanId=existing, BackupPlan=_plan_document(ctx, change.name))
    _delete_selections(ctx, existing)  # the covered resources are set whole: ARNs change when instances do
    role = f"arn:{arns.partition(ctx.region)}:iam::{ctx.account}:role/service-role/AWSBackupDefaultServiceRole"
    ctx.call(
        "backup",
        "create_backup_selection",
        BackupPlanId=existing,
        BackupSelection={
            "SelectionName": ctx.aws_name(change.name)[:50],
            "IamRoleArn": role,
            "Resources": _resource_arns(ctx, plan.components),
        },
        CreatorRequestId=ctx.token("selection", change.name),
    )
