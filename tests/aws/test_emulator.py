"""The operations infragate adds to embedded AWS, over HTTP through boto3 like any AWS endpoint."""

from __future__ import annotations

import pytest

from infragate.aws import AwsConnection
from infragate.errors import AwsNotFoundError
from tests.support import account

ROLE = "arn:aws:iam::123456789012:role/backup"


def test_backup_selections_are_created_once_listed_read_and_deleted(aws: AwsConnection) -> None:
    plan = account.backup_plan(aws, "daily", retention_days=7)
    selection = {"SelectionName": "web", "IamRoleArn": ROLE, "Resources": ["arn:aws:ec2:eu-west-1:1:instance/i-1"]}
    first = aws.call(
        "backup", "create_backup_selection", BackupPlanId=plan, BackupSelection=selection, CreatorRequestId="token-1"
    )
    again = aws.call(
        "backup", "create_backup_selection", BackupPlanId=plan, BackupSelection=selection, CreatorRequestId="token-1"
    )
    assert first["SelectionId"] == again["SelectionId"], "the same creator request id is idempotent"
    listed = aws.call("backup", "list_backup_selections", BackupPlanId=plan)["BackupSelectionsList"]
    assert [(item["SelectionId"], item["SelectionName"]) for item in listed] == [(first["SelectionId"], "web")]
    read = aws.call("backup", "get_backup_selection", BackupPlanId=plan, SelectionId=first["SelectionId"])
    assert read["BackupSelection"]["Resources"] == selection["Resources"]
    aws.call("backup", "delete_backup_selection", BackupPlanId=plan, SelectionId=first["SelectionId"])
    assert aws.call("backup", "list_backup_selections", BackupPlanId=plan)["BackupSelectionsList"] == []


def test_selections_of_an_unknown_plan_are_not_found(aws: AwsConnection) -> None:
    with pytest.raises(AwsNotFoundError):
        aws.call("backup", "list_backup_selections", BackupPlanId="no-such-plan")


def test_a_backup_plan_can_be_updated(aws: AwsConnection) -> None:
    plan = account.backup_plan(aws, "daily", retention_days=3)
    rule = {"RuleName": "daily", "TargetBackupVaultName": "Default", "Lifecycle": {"DeleteAfterDays": 30}}
    before = aws.call("backup", "get_backup_plan", BackupPlanId=plan)["VersionId"]
    aws.call("backup", "update_backup_plan", BackupPlanId=plan, BackupPlan={"BackupPlanName": "d", "Rules": [rule]})
    after = aws.call("backup", "get_backup_plan", BackupPlanId=plan)
    assert after["BackupPlan"]["Rules"][0]["Lifecycle"] == {"DeleteAfterDays": 30}
    assert after["VersionId"] != before


def test_detailed_monitoring_can_be_turned_on_and_off_after_launch(aws: AwsConnection) -> None:
    (instance,) = account.instances(aws, 1, account.network(aws).private_subnet)

    def state() -> str:
        reservations = aws.call("ec2", "describe_instances", InstanceIds=[instance])["Reservations"]
        return str(reservations[0]["Instances"][0]["Monitoring"]["State"])

    assert state() == "disabled"
    answer = aws.call("ec2", "monitor_instances", InstanceIds=[instance])["InstanceMonitorings"]
    assert answer == [{"InstanceId": instance, "Monitoring": {"State": "enabled"}}] and state() == "enabled"
    aws.call("ec2", "unmonitor_instances", InstanceIds=[instance])
    assert state() == "disabled"
    with pytest.raises(AwsNotFoundError):
        aws.call("ec2", "monitor_instances", InstanceIds=["i-0123456789abcdef0"])


def test_shield_subscription_state_follows_the_subscription(aws: AwsConnection) -> None:
    assert aws.call("shield", "get_subscription_state")["SubscriptionState"] == "INACTIVE"
    aws.call("shield", "create_subscription")
    assert aws.call("shield", "get_subscription_state")["SubscriptionState"] == "ACTIVE"
