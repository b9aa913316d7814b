"""AWS Backup collector: vaults, plans with their schedule and retention, and what their selections cover."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from infragate.inventory.runner import Collector
from infragate.inventory.scope import Scope, tag_map
from infragate.inventory.snapshot import LiveBackupPlan, Snapshot
from infragate.model import Section

if TYPE_CHECKING:  # for annotations only: importing it at run time would load boto3 or SQLAlchemy
    from infragate.aws import AwsConnection

KEPT_FOREVER_DAYS = 36500  # a rule without DeleteAfterDays never deletes recovery points


def _retention(rules: list[dict[str, Any]]) -> int:
    days = [int(rule.get("Lifecycle", {}).get("DeleteAfterDays", KEPT_FOREVER_DAYS)) for rule in rules]
    return max(1, min(days, default=KEPT_FOREVER_DAYS))


def _selections(connection: AwsConnection, plan_id: str, region: str) -> tuple[list[str], list[tuple[str, str]]]:
    resources: list[str] = []
    tags: list[tuple[str, str]] = []
    for page in connection.pages("backup", "list_backup_selections", region=region, BackupPlanId=plan_id):
        for item in page.get("BackupSelectionsList", []):
            selection = connection.call(
                "backup", "get_backup_selection", region=region, BackupPlanId=plan_id, SelectionId=item["SelectionId"]
            )["BackupSelection"]
            resources += selection.get("Resources", [])
            tags += [(c["ConditionKey"], c["ConditionValue"]) for c in selection.get("ListOfTags", [])]
            conditions = selection.get("Conditions", {}).get("StringEquals", [])
            tags += [(c["ConditionKey"].removeprefix("aws:ResourceTag/"), c["ConditionValue"]) for c in conditions]
    return resources, tags


def collect_backup(connection: AwsConnection, scope: Scope, snapshot: Snapshot, region: str) -> None:
    for page in connection.pages("backup", "list_backup_vaults", region=region):
        snapshot.backup_vaults += [vault["BackupVaultName"] for vault in page.get("BackupVaultList", [])]
    plans = []
    for page in connection.pages("backup", "list_backup_plans", region=region):
        for summary in page.get("BackupPlansList", []):
            arn = summary["BackupPlanArn"]
            tags = tag_map(
                [
                    {"Key": k, "Value": v}
                    for k, v in connection.call("backup", "list_tags", region=region, ResourceArn=arn)
                    .get("Tags", {})
                    .items()
                ]
            )
            if scope.includes(tags):
                plans.append((summary, tags))
    for summary, tags in plans:
        coverage = _selections(connection, summary["BackupPlanId"], region)
        snapshot.backup_plans.append(_plan(connection, summary, tags, scope, region, coverage))


def _plan(
    connection: AwsConnection,
    summary: dict[str, Any],
    tags: dict[str, str],
    scope: Scope,
    region: str,
    coverage: tuple[list[str], list[tuple[str, str]]],
) -> LiveBackupPlan:
    plan = connection.call("backup", "get_backup_plan", region=region, BackupPlanId=summary["BackupPlanId"])
    rules = plan["BackupPlan"].get("Rules", [])
    return LiveBackupPlan(
        name=scope.component_name(tags, summary["BackupPlanName"]),
        arn=summary["BackupPlanArn"],
        schedule=rules[0].get("ScheduleExpression", "") if rules else "",
        retention_days=_retention(rules),
        resource_arns=tuple(coverage[0]),
        selected_tags=tuple(coverage[1]),
    )


COLLECTOR = Collector("backup", frozenset({Section.BACKUP, Section.BACKUP_SELECTIONS}), collect_backup)
