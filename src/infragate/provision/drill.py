"""Restore drills (ICP-5.2): restore a database's latest recovery point, or a sample of a bucket's object
versions, into temporary resources; check the copy; measure RTO (the time to a usable copy) and RPO (the
age of the recovery point); and delete what was made, on failure and on Ctrl-C too.

Temporary resources carry the project's tags plus ``infragate:drill`` (the drill's id), and are never the
original: a database is restored under a new identifier, objects are copied into a new bucket. On embedded
AWS the emulator restores metadata only (no data is copied), and the result says so.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from infragate.aws import AwsConnection
from infragate.design import Design
from infragate.errors import AwsError, AwsNotFoundError, UsageError
from infragate.inventory.scope import COMPONENT_TAG, ENVIRONMENT_TAG, PROJECT_TAG
from infragate.provision.service import scope_of

if TYPE_CHECKING:  # the documented shapes of RDS's, S3's and STS's answers (boto3-stubs, for type checking)
    from mypy_boto3_rds.type_defs import DBInstanceMessageTypeDef, DBSnapshotMessageTypeDef
    from mypy_boto3_s3.type_defs import ListObjectVersionsOutputTypeDef
    from mypy_boto3_sts.type_defs import GetCallerIdentityResponseTypeDef

DRILL_TAG = "infragate:drill"
SAMPLE_VERSIONS = 3
EMBEDDED_NOTE = "embedded AWS: the emulator restores metadata only (no data is copied); RTO and RPO describe it"

Progress = Callable[[str], None]


@dataclass
class ComponentDrill:
    """One component's drill: what was restored from which point, how long it took, what was checked."""

    component: str
    kind: str  # database or bucket
    recovery_point: str = ""
    recovery_point_at: datetime | None = None
    rto_minutes: float | None = None
    rpo_minutes: float | None = None
    checks: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    temporary: str = ""
    not_applicable: str = ""  # why there was nothing to restore (an empty bucket): neither passed nor failed
    cleaned_up: bool = True  # False only when a temporary resource could not be deleted

    @property
    def restored(self) -> bool:
        return not self.problems and self.rto_minutes is not None


def _tags(design: Design, environment: str, component: str, drill: str) -> list[dict[str, str]]:
    return [
        {"Key": PROJECT_TAG, "Value": design.project.name},
        {"Key": ENVIRONMENT_TAG, "Value": environment},
        {"Key": COMPONENT_TAG, "Value": component},
        {"Key": DRILL_TAG, "Value": drill},
    ]


def new_drill_id() -> str:
    return uuid.uuid4().hex[:8]


def drill_database(
    connection: AwsConnection, design: Design, environment: str, name: str, drill: str, progress: Progress
) -> ComponentDrill:
    """Restore the latest available snapshot (automated or manual) of the database to a temporary instance,
    wait until it is available, compare it with the original, and delete it."""
    prefix = scope_of(design, environment).prefix
    identifier, result = f"{prefix}{name}", ComponentDrill(name, "database")
    try:
        described: DBInstanceMessageTypeDef = connection.call(
            "rds", "describe_db_instances", DBInstanceIdentifier=identifier
        )
        original = described["DBInstances"][0]
    except AwsNotFoundError:
        result.problems.append(f"{identifier} does not exist: apply the design first")
        return result
    listed: DBSnapshotMessageTypeDef = connection.call("rds", "describe_db_snapshots", DBInstanceIdentifier=identifier)
    snapshots = [s for s in listed["DBSnapshots"] if s.get("Status") == "available" and s.get("SnapshotCreateTime")]
    if not snapshots:
        result.problems.append(f"{identifier} has no available snapshot to restore (is its backup retention 0?)")
        return result
    latest = max(snapshots, key=lambda s: s["SnapshotCreateTime"])
    result.recovery_point = latest["DBSnapshotIdentifier"]
    result.recovery_point_at = _utc(latest["SnapshotCreateTime"])
    temporary = f"{prefix}drill-{name}-{drill}"[:63].rstrip("-")
    result.temporary = temporary
    progress(f"{name}: restoring {result.recovery_point} to {temporary}")
    started = time.monotonic()
    try:
        options: dict[str, object] = {
            "DBInstanceIdentifier": temporary,
            "DBSnapshotIdentifier": result.recovery_point,
            "DBInstanceClass": original["DBInstanceClass"],
            "PubliclyAccessible": False,
            "MultiAZ": False,  # a drill copy needs no standby
            # said, not left to defaults: a copy that inherited the original's protection could not be deleted
            "DeletionProtection": False,
            "Tags": _tags(design, environment, name, drill),
        }
        group = (original.get("DBSubnetGroup") or {}).get("DBSubnetGroupName")
        if group:
            options["DBSubnetGroupName"] = group
        connection.call("rds", "restore_db_instance_from_db_snapshot", region=None, **options)
        progress(f"{name}: {temporary} is being made; waiting until it is available")
        if not connection.spec.embedded:
            connection.wait("rds", "db_instance_available", DBInstanceIdentifier=temporary)
        described = connection.call("rds", "describe_db_instances", DBInstanceIdentifier=temporary)
        restored = described["DBInstances"][0]
        result.rto_minutes = (time.monotonic() - started) / 60
        result.rpo_minutes = (datetime.now(UTC) - result.recovery_point_at).total_seconds() / 60
        for label, copied, kept in (
            ("engine", restored.get("Engine"), original.get("Engine")),
            ("engine version", restored.get("EngineVersion"), original.get("EngineVersion")),
            ("encryption", restored.get("StorageEncrypted"), original.get("StorageEncrypted")),
        ):
            if copied != kept:
                result.problems.append(f"{label}: the copy has {copied}, the original {kept}")
            else:
                result.checks.append(f"{label} {copied}")
        if int(restored.get("AllocatedStorage") or 0) < int(original.get("AllocatedStorage") or 0):
            result.problems.append("the copy is smaller than the original")
        else:
            result.checks.append(f"size {restored.get('AllocatedStorage')} GiB")
        if restored.get("DBInstanceStatus") != "available":
            result.problems.append(f"the copy is {restored.get('DBInstanceStatus')}, not available")
    except AwsError as failed:
        result.problems.append(f"the restore failed: {failed.message}")
    finally:
        result.cleaned_up = _delete_instance(connection, temporary, progress)
        if not result.cleaned_up:
            result.problems.append(f"the temporary copy {temporary} could not be deleted: delete it by its tag")
    return result


def _delete_instance(connection: AwsConnection, identifier: str, progress: Progress) -> bool:
    """Delete the drill's copy (only ever the copy: ``identifier`` is the temporary name)."""
    try:
        described: DBInstanceMessageTypeDef = connection.call(
            "rds", "describe_db_instances", DBInstanceIdentifier=identifier
        )
        copy = described["DBInstances"][0]
        if copy.get("DeletionProtection"):  # carried over from the snapshot by some restores: lifted on the copy
            connection.call(
                "rds", "modify_db_instance", DBInstanceIdentifier=identifier, DeletionProtection=False,
                ApplyImmediately=True,
            )  # fmt: skip
        connection.call(
            "rds",
            "delete_db_instance",
            DBInstanceIdentifier=identifier,
            SkipFinalSnapshot=True,
            DeleteAutomatedBackups=True,
        )
        progress(f"deleted {identifier}")
        return True
    except AwsNotFoundError:
        return True  # never made (the restore failed first)
    except AwsError as failed:
        progress(f"could not delete {identifier}: {failed.message}; delete it by its {DRILL_TAG} tag")
        return False


def drill_bucket(
    connection: AwsConnection, design: Design, environment: str, name: str, drill: str, progress: Progress
) -> ComponentDrill:
    """Copy a sample of the bucket's object versions (older ones first) into a temporary bucket, compare them
    with the originals, and delete the bucket. RPO is not a snapshot's age here: versioning keeps every
    write, so it is 0 when the sample restores."""
    prefix = scope_of(design, environment).prefix
    caller: GetCallerIdentityResponseTypeDef = connection.call("sts", "get_caller_identity")
    account = caller["Account"]
    source = f"{prefix}{name}-{account}"[:63].lower().rstrip("-")
    result = ComponentDrill(name, "bucket")
    try:
        listed: ListObjectVersionsOutputTypeDef = connection.call(
            "s3", "list_object_versions", Bucket=source, MaxKeys=200
        )
        versions = listed.get("Versions", [])
    except AwsNotFoundError:
        result.problems.append(f"{source} does not exist: apply the design first")
        return result
    older = [v for v in versions if not v.get("IsLatest")]
    sample = (older or versions)[:SAMPLE_VERSIONS]
    if not sample:
        result.not_applicable = f"{source} is empty: no object version to restore yet"
        return result
    temporary = f"{prefix}drill-{name}-{drill}-{account}"[:63].lower().rstrip("-")
    result.temporary, result.recovery_point = temporary, f"{len(sample)} version(s) of {source}"
    result.recovery_point_at = min(_utc(v["LastModified"]) for v in sample)
    progress(f"{name}: restoring {len(sample)} object version(s) into {temporary}")
    started = time.monotonic()
    made = False
    try:
        options: dict[str, object] = {"Bucket": temporary}
        if connection.spec.region != "us-east-1":
            options["CreateBucketConfiguration"] = {"LocationConstraint": connection.spec.region}
        connection.call("s3", "create_bucket", region=None, **options)
        made = True
        connection.call(
            "s3", "put_bucket_tagging", Bucket=temporary, Tagging={"TagSet": _tags(design, environment, name, drill)}
        )
        for version in sample:
            copy_source = {"Bucket": source, "Key": version["Key"], "VersionId": version["VersionId"]}
            connection.call("s3", "copy_object", Bucket=temporary, Key=version["Key"], CopySource=copy_source)
            progress(f"{name}: {version['Key']} restored into {temporary}; checking it")
            copied = connection.call("s3", "head_object", Bucket=temporary, Key=version["Key"])
            if int(copied.get("ContentLength", -1)) != int(version.get("Size", -2)):
                result.problems.append(
                    f"{version['Key']}: {copied.get('ContentLength')} bytes, not {version.get('Size')}"
                )
            else:
                result.checks.append(f"{version['Key']} ({version['VersionId'][:8]}…) {version.get('Size')} bytes")
        result.rto_minutes = (time.monotonic() - started) / 60
        result.rpo_minutes = 0.0
    except AwsError as failed:
        result.problems.append(f"the restore failed: {failed.message}")
    finally:
        result.cleaned_up = _delete_bucket(connection, temporary, progress) if made else True
    return result


def _delete_bucket(connection: AwsConnection, bucket: str, progress: Progress) -> bool:
    try:
        for page in connection.pages("s3", "list_object_versions", Bucket=bucket):
            doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", [])]
            if doomed:
                connection.call("s3", "delete_objects", Bucket=bucket, Delete={"Objects": doomed, "Quiet": True})
        connection.call("s3", "delete_bucket", Bucket=bucket)
        progress(f"deleted {bucket}")
        return True
    except AwsError as failed:
        progress(f"could not delete {bucket}: {failed.message}; delete it by its {DRILL_TAG} tag")
        return False


def components(design: Design, environment: str, only: str | None) -> list[tuple[str, str]]:
    """(kind, name) of what the drill restores: the environment's databases and versioned buckets, or one."""
    infra = design.environment(environment).infrastructure
    found = [("database", name) for name in infra.databases] + [
        ("bucket", name) for name, bucket in infra.buckets.items() if bucket.versioning
    ]
    if only is None:
        return found
    chosen = [item for item in found if item[1] == only]
    if not chosen:
        names = ", ".join(name for _, name in found) or "none"
        raise UsageError(
            f"--component {only}: not a database or versioned bucket of {environment}", hint=f"Drillable: {names}."
        )
    return chosen


def _utc(value: object) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).astimezone(UTC)


def drill(
    connection: AwsConnection,
    design: Design,
    environment: str,
    chosen: list[tuple[str, str]],
    progress: Progress,
) -> tuple[str, list[ComponentDrill]]:
    """Every chosen component's drill (``components`` chooses), one after another (each cleans up before the
    next starts)."""
    drill_id = new_drill_id()
    results = []
    for kind, name in chosen:
        runner = drill_database if kind == "database" else drill_bucket
        results.append(runner(connection, design, environment, name, drill_id, progress))
    return drill_id, results
