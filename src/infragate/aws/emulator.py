"""The embedded AWS server: moto's server plus the few operations infragate needs that moto lacks.

Run as ``python -m infragate.aws.emulator -H 127.0.0.1 -p PORT`` (``EmbeddedAws`` starts it). Before the
server starts, ``install()`` registers these operations into moto's response classes and backends, so they
are served over HTTP exactly like moto's own:

* AWS Backup: ``CreateBackupSelection``, ``GetBackupSelection``, ``ListBackupSelections``,
  ``DeleteBackupSelection`` and ``UpdateBackupPlan`` (without them no backup plan can say what it covers);
* EC2: ``MonitorInstances`` and ``UnmonitorInstances`` (detailed monitoring after launch);
* Shield: ``GetSubscriptionState``.

Only this process imports moto; infragate's own commands talk to it through boto3 like any AWS endpoint.
"""

from __future__ import annotations

import json
import sys
import uuid
from dataclasses import dataclass, field
from typing import Any

from moto.backup.exceptions import ResourceNotFoundException
from moto.backup.responses import BackupResponse
from moto.core.responses import ActionResult
from moto.core.utils import unix_time
from moto.ec2.responses.monitoring import Monitoring
from moto.shield.responses import ShieldResponse


@dataclass
class _Selection:
    plan_id: str
    selection_id: str
    document: dict[str, Any]
    creator_request_id: str | None
    creation_date: float = field(default_factory=unix_time)

    def summary(self) -> dict[str, Any]:
        return {
            "SelectionId": self.selection_id,
            "SelectionName": self.document.get("SelectionName", ""),
            "BackupPlanId": self.plan_id,
            "CreationDate": self.creation_date,
            "CreatorRequestId": self.creator_request_id,
            "IamRoleArn": self.document.get("IamRoleArn", ""),
        }


def _selections(backend: Any, plan_id: str) -> dict[str, _Selection]:
    """The selections of one plan, kept on moto's backend object (reset with it by /moto-api/reset)."""
    if plan_id not in backend.plans or backend.plans[plan_id].deletion_date is not None:
        raise ResourceNotFoundException(msg=f"Failed reading Backup plan with provided version: {plan_id}")
    store: dict[str, dict[str, _Selection]] = backend.__dict__.setdefault("infragate_selections", {})
    return store.setdefault(plan_id, {})


def _plan_path(path: str) -> tuple[str, str | None]:
    """``/backup/plans/{plan}/selections/{selection}`` -> (plan, selection or None)."""
    parts = [part for part in path.split("?")[0].split("/") if part]
    plan = parts[2]
    selection = parts[4] if len(parts) > 4 else None
    return plan, selection


def create_backup_selection(self: BackupResponse) -> str:
    params = json.loads(self.body)
    plan_id, _ = _plan_path(self.path)
    selections = _selections(self.backup_backend, plan_id)
    request_id = params.get("CreatorRequestId")
    existing = next((s for s in selections.values() if request_id and s.creator_request_id == request_id), None)
    selection = existing or _Selection(plan_id, str(uuid.uuid4()), params["BackupSelection"], request_id)
    selections[selection.selection_id] = selection
    return json.dumps(
        {"SelectionId": selection.selection_id, "BackupPlanId": plan_id, "CreationDate": selection.creation_date}
    )


def get_backup_selection(self: BackupResponse) -> str:
    plan_id, selection_id = _plan_path(self.path)
    selection = _selections(self.backup_backend, plan_id).get(selection_id or "")
    if selection is None:
        raise ResourceNotFoundException(msg=f"Backup selection {selection_id} not found")
    body = selection.summary()
    body["BackupSelection"] = selection.document
    return json.dumps(body)


def list_backup_selections(self: BackupResponse) -> str:
    plan_id, _ = _plan_path(self.path)
    items = [s.summary() for s in _selections(self.backup_backend, plan_id).values()]
    return json.dumps({"BackupSelectionsList": items})


def delete_backup_selection(self: BackupResponse) -> str:
    plan_id, selection_id = _plan_path(self.path)
    _selections(self.backup_backend, plan_id).pop(selection_id or "", None)
    return "{}"


def update_backup_plan(self: BackupResponse) -> str:
    params = json.loads(self.body)
    plan_id, _ = _plan_path(self.path)
    plan = self.backup_backend.get_backup_plan(backup_plan_id=plan_id, version_id=None)
    document = params["BackupPlan"]
    for rule in document.get("Rules", []):
        rule.setdefault("ScheduleExpression", "cron(0 5 ? * * *)")
        rule.setdefault("RuleId", str(uuid.uuid4()))
    plan.backup_plan = document
    plan.version_id = uuid.uuid4().hex
    return json.dumps(
        {
            "BackupPlanId": plan.backup_plan_id,
            "BackupPlanArn": plan.backup_plan_arn,
            "CreationDate": plan.creation_date,
            "VersionId": plan.version_id,
        }
    )


def _set_monitoring(self: Monitoring, state: str) -> ActionResult:
    self.error_on_dryrun()
    instance_ids = self._get_param("InstanceIds", [])
    result = []
    for instance_id in instance_ids:
        instance = self.ec2_backend.get_instance(instance_id)  # raises InvalidInstanceID.NotFound
        instance.monitoring_state = state
        result.append({"InstanceId": instance_id, "Monitoring": {"State": state}})
    return ActionResult({"InstanceMonitorings": result})


def monitor_instances(self: Monitoring) -> ActionResult:
    return _set_monitoring(self, "enabled")


def unmonitor_instances(self: Monitoring) -> ActionResult:
    return _set_monitoring(self, "disabled")


def get_subscription_state(self: ShieldResponse) -> str:
    subscribed = self.shield_backend.subscription is not None
    return json.dumps({"SubscriptionState": "ACTIVE" if subscribed else "INACTIVE"})


# (response class, operation) -> implementation: the whole extension, as data.
EXTENSIONS: tuple[tuple[type[Any], str, Any], ...] = (
    (BackupResponse, "create_backup_selection", create_backup_selection),
    (BackupResponse, "get_backup_selection", get_backup_selection),
    (BackupResponse, "list_backup_selections", list_backup_selections),
    (BackupResponse, "delete_backup_selection", delete_backup_selection),
    (BackupResponse, "update_backup_plan", update_backup_plan),
    (Monitoring, "monitor_instances", monitor_instances),
    (Monitoring, "unmonitor_instances", unmonitor_instances),
    (ShieldResponse, "get_subscription_state", get_subscription_state),
)


def install() -> None:
    """Register the extra operations into moto's response classes (idempotent)."""
    for response_class, operation, implementation in EXTENSIONS:
        setattr(response_class, operation, implementation)


def main(argv: list[str] | None = None) -> None:
    from moto.server import main as moto_main

    install()
    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
