"""RDS collector: database instances with the settings the policy judges."""

from __future__ import annotations

from typing import TYPE_CHECKING

from infragate.inventory.runner import Collector
from infragate.inventory.scope import Scope, tag_map
from infragate.inventory.snapshot import Snapshot
from infragate.model import ComponentKind, Database, DbEngine, Section
from infragate.model.database import DbStorageType

if TYPE_CHECKING:  # for annotations only: importing it at run time would load boto3 or SQLAlchemy
    from infragate.aws import AwsConnection


def collect_rds(connection: AwsConnection, scope: Scope, snapshot: Snapshot, region: str) -> None:
    for page in connection.pages("rds", "describe_db_instances", region=region):
        for db in page.get("DBInstances", []):
            tags = tag_map(db.get("TagList"))
            if not scope.includes(tags):
                continue
            name = scope.component_name(tags, db["DBInstanceIdentifier"])
            snapshot.databases[name] = Database(
                name=name,
                engine=DbEngine(db["Engine"]),
                engine_version=db["EngineVersion"],
                instance_class=db["DBInstanceClass"],
                allocated_storage_gb=max(1, int(db.get("AllocatedStorage", 1))),
                storage_type=DbStorageType(db.get("StorageType", "gp2")),
                multi_az=bool(db.get("MultiAZ")),
                backup_retention_days=int(db.get("BackupRetentionPeriod", 0)),
                storage_encrypted=bool(db.get("StorageEncrypted")),
                deletion_protection=bool(db.get("DeletionProtection")),
                publicly_accessible=bool(db.get("PubliclyAccessible")),
                # Subnet tier and security-group names come from the EC2 collector; ``assemble`` resolves them.
                security_groups=tuple(g["VpcSecurityGroupId"] for g in db.get("VpcSecurityGroups", [])),
            )
            subnet_group = db.get("DBSubnetGroup") or {}
            snapshot.database_subnet_ids[name] = tuple(s["SubnetIdentifier"] for s in subnet_group.get("Subnets", []))
            snapshot.own(ComponentKind.DATABASE, name, db["DBInstanceIdentifier"], db["DBInstanceArn"], tags=tags)


COLLECTOR = Collector("rds", frozenset({Section.DATABASES}), collect_rds)
