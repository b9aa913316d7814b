"""RDS instances (with their subnet group) and S3 buckets (with every setting the design names)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from infragate.errors import AwsError, AwsNotFoundError
from infragate.model import Bucket, BucketEncryption, Database
from infragate.provision.context import ApplyContext
from infragate.provision.handlers.network import group_id, subnet_ids
from infragate.provision.plan import Action, Change

if TYPE_CHECKING:  # the documented shapes of RDS's and S3's answers (boto3-stubs, for type checking only)
    from mypy_boto3_rds.type_defs import DBInstanceMessageTypeDef, DBInstanceTypeDef, DBSubnetGroupMessageTypeDef
    from mypy_boto3_s3.type_defs import LifecycleRuleTypeDef, ListObjectVersionsOutputTypeDef, ObjectIdentifierTypeDef


# -- RDS ------------------------------------------------------------------------------------------------
def database_id(ctx: ApplyContext, name: str) -> str:
    return ctx.aws_name(name)


def _describe_db(ctx: ApplyContext, name: str) -> DBInstanceTypeDef | None:
    try:
        found: DBInstanceMessageTypeDef = ctx.call(
            "rds", "describe_db_instances", DBInstanceIdentifier=database_id(ctx, name)
        )
    except AwsNotFoundError:
        return None
    instances = found.get("DBInstances", [])
    return instances[0] if instances else None


def _settings(ctx: ApplyContext, db: Database) -> dict[str, object]:
    """What create_db_instance and modify_db_instance both take, as the design says it."""
    return {
        "DBInstanceClass": db.instance_class,
        "EngineVersion": db.engine_version,
        "AllocatedStorage": db.allocated_storage_gb,
        "StorageType": db.storage_type.value,
        "MultiAZ": db.multi_az,
        "BackupRetentionPeriod": db.backup_retention_days,
        "DeletionProtection": db.deletion_protection,
        "PubliclyAccessible": db.publicly_accessible,
        "VpcSecurityGroupIds": [group_id(ctx, sg) for sg in db.security_groups],
    }


def _subnet_group(ctx: ApplyContext, name: str, db: Database) -> str:
    group = ctx.aws_name(name)
    subnets = subnet_ids(ctx, db.subnet_tier)
    try:
        groups: DBSubnetGroupMessageTypeDef = ctx.call("rds", "describe_db_subnet_groups", DBSubnetGroupName=group)
        found = groups["DBSubnetGroups"][0]
        if sorted(s["SubnetIdentifier"] for s in found.get("Subnets", [])) != sorted(subnets):
            ctx.call("rds", "modify_db_subnet_group", DBSubnetGroupName=group, SubnetIds=subnets)
    except AwsNotFoundError:
        ctx.call(
            "rds",
            "create_db_subnet_group",
            DBSubnetGroupName=group,
            DBSubnetGroupDescription=f"{name} ({ctx.project} {ctx.environment}, {db.subnet_tier} subnets)",
            SubnetIds=subnets,
            Tags=ctx.tags(name),
        )
    return group


def _delete_db(ctx: ApplyContext, name: str) -> None:
    live = _describe_db(ctx, name)
    if live is not None:
        identifier = database_id(ctx, name)
        if live.get("DeletionProtection"):
            ctx.call(
                "rds",
                "modify_db_instance",
                DBInstanceIdentifier=identifier,
                DeletionProtection=False,
                ApplyImmediately=True,
            )
        final: dict[str, object] = {"SkipFinalSnapshot": True}
        if ctx.production:  # production data is never deleted without a last snapshot
            final = {"SkipFinalSnapshot": False, "FinalDBSnapshotIdentifier": f"{identifier}-final-{int(time.time())}"}
        ctx.call("rds", "delete_db_instance", DBInstanceIdentifier=identifier, **final)
        if not ctx.embedded:
            ctx.connection.wait("rds", "db_instance_deleted", DBInstanceIdentifier=identifier)
    with contextlib.suppress(AwsNotFoundError):
        ctx.call("rds", "delete_db_subnet_group", DBSubnetGroupName=ctx.aws_name(name))


def apply_database(ctx: ApplyContext, change: Change) -> None:
    name = change.name
    if change.action in (Action.DELETE, Action.REPLACE):
        _delete_db(ctx, name)
        if change.action is Action.DELETE:
            return
    db = ctx.desired.databases[name]
    subnet_group = _subnet_group(ctx, name, db)
    settings = _settings(ctx, db)
    if _describe_db(ctx, name) is None:
        ctx.call(
            "rds",
            "create_db_instance",
            DBInstanceIdentifier=database_id(ctx, name),
            Engine=db.engine.value,
            StorageEncrypted=db.storage_encrypted,
            DBSubnetGroupName=subnet_group,
            MasterUsername="infragate_admin",
            ManageMasterUserPassword=True,  # the password lives in Secrets Manager, never in infragate
            Tags=ctx.tags(name),
            **settings,
        )
    else:
        ctx.call(
            "rds", "modify_db_instance", DBInstanceIdentifier=database_id(ctx, name), ApplyImmediately=True, **settings
        )


# -- S3 -------------------------------------------------------------------------------------------------
def bucket_name(ctx: ApplyContext, name: str) -> str:
    """Bucket names are global: project, environment, component and the account make them unique."""
    return f"{ctx.scope.prefix}{name}-{ctx.account}"[:63].lower().rstrip("-")


def _empty(ctx: ApplyContext, bucket: str) -> None:
    pages: Iterator[ListObjectVersionsOutputTypeDef] = ctx.connection.pages("s3", "list_object_versions", Bucket=bucket)
    for page in pages:
        doomed: list[ObjectIdentifierTypeDef] = [
            {"Key": item["Key"], "VersionId": item["VersionId"]}
            for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        ]
        if doomed:
            ctx.call("s3", "delete_objects", Bucket=bucket, Delete={"Objects": doomed, "Quiet": True})


def _lifecycle(bucket: Bucket) -> list[LifecycleRuleTypeDef]:
    rules = []
    for index, rule in enumerate(bucket.lifecycle):
        api: LifecycleRuleTypeDef = {"ID": f"rule-{index}", "Status": "Enabled", "Filter": {"Prefix": rule.prefix}}
        if rule.expire_days:
            api["Expiration"] = {"Days": rule.expire_days}
        if rule.transition_to_glacier_days:
            api["Transitions"] = [{"Days": rule.transition_to_glacier_days, "StorageClass": "GLACIER"}]
        if rule.noncurrent_expire_days:
            api["NoncurrentVersionExpiration"] = {"NoncurrentDays": rule.noncurrent_expire_days}
        rules.append(api)
    return rules


def apply_bucket(ctx: ApplyContext, change: Change) -> None:
    name = bucket_name(ctx, change.name)
    if change.action is Action.DELETE:
        try:
            _empty(ctx, name)
            ctx.call("s3", "delete_bucket", Bucket=name)
        except AwsNotFoundError:
            pass
        return
    bucket = ctx.desired.buckets[change.name]
    try:
        ctx.call("s3", "head_bucket", Bucket=name)
    except AwsError:  # 404 (no such bucket) has no error code S3 would name "not found"
        location = (
            {} if ctx.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": ctx.region}}
        )
        ctx.call("s3", "create_bucket", Bucket=name, **location)
    ctx.call("s3", "put_bucket_tagging", Bucket=name, Tagging={"TagSet": ctx.tags(change.name)})
    block = bucket.public_access_block
    ctx.call(
        "s3",
        "put_public_access_block",
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": block.block_public_acls,
            "IgnorePublicAcls": block.ignore_public_acls,
            "BlockPublicPolicy": block.block_public_policy,
            "RestrictPublicBuckets": block.restrict_public_buckets,
        },
    )
    status = "Enabled" if bucket.versioning else "Suspended"
    ctx.call("s3", "put_bucket_versioning", Bucket=name, VersioningConfiguration={"Status": status})
    if bucket.encryption is BucketEncryption.NONE:
        ctx.call("s3", "delete_bucket_encryption", Bucket=name)
    else:
        algorithm = "aws:kms" if bucket.encryption is BucketEncryption.SSE_KMS else "AES256"
        ctx.call(
            "s3",
            "put_bucket_encryption",
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": algorithm}}]
            },
        )
    rules = _lifecycle(bucket)
    if rules:
        ctx.call("s3", "put_bucket_lifecycle_configuration", Bucket=name, LifecycleConfiguration={"Rules": rules})
    else:
        ctx.call("s3", "delete_bucket_lifecycle", Bucket=name)
