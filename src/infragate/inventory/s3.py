"""S3 collector: buckets with versioning, default encryption, public access block, lifecycle and policy."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from infragate.errors import AwsNotFoundError
from infragate.inventory import arns
from infragate.inventory.bucket_policy import policy_is_public
from infragate.inventory.runner import Collector
from infragate.inventory.scope import Scope, tag_map
from infragate.inventory.snapshot import Snapshot
from infragate.model import Bucket, BucketEncryption, ComponentKind, LifecycleRule, PublicAccessBlock, Section

if TYPE_CHECKING:  # for annotations only: importing it at run time would load boto3 or SQLAlchemy
    from infragate.aws import AwsConnection

# S3 answers these "not configured" conditions with errors, not empty results.
NOT_CONFIGURED = (
    "NoSuchTagSet",
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchPublicAccessBlockConfiguration",
    "NoSuchLifecycleConfiguration",
    "NoSuchBucketPolicy",
)


def _optional(connection: AwsConnection, operation: str, bucket: str) -> dict[str, Any] | None:
    """A bucket setting, or None when the bucket simply does not have it configured."""
    try:
        found: dict[str, Any] = connection.call("s3", operation, Bucket=bucket)
        return found
    except AwsNotFoundError as error:
        if error.aws_code in NOT_CONFIGURED:
            return None
        raise


def _encryption(config: dict[str, Any] | None) -> BucketEncryption:
    rules = (config or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    algorithms = {rule.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for rule in rules}
    if algorithms & {"aws:kms", "aws:kms:dsse"}:
        return BucketEncryption.SSE_KMS
    return BucketEncryption.SSE_S3 if "AES256" in algorithms else BucketEncryption.NONE


def _public_access_block(config: dict[str, Any] | None) -> PublicAccessBlock:
    settings = (config or {}).get("PublicAccessBlockConfiguration", {})
    return PublicAccessBlock(
        block_public_acls=bool(settings.get("BlockPublicAcls", False)),
        ignore_public_acls=bool(settings.get("IgnorePublicAcls", False)),
        block_public_policy=bool(settings.get("BlockPublicPolicy", False)),
        restrict_public_buckets=bool(settings.get("RestrictPublicBuckets", False)),
    )


def _lifecycle(config: dict[str, Any] | None) -> tuple[LifecycleRule, ...]:
    rules = []
    for rule in (config or {}).get("Rules", []):
        if rule.get("Status") != "Enabled":
            continue
        transitions = [t for t in rule.get("Transitions", []) if t.get("StorageClass") in ("GLACIER", "DEEP_ARCHIVE")]
        rules.append(
            LifecycleRule(
                prefix=rule.get("Filter", {}).get("Prefix", rule.get("Prefix", "")),
                expire_days=rule.get("Expiration", {}).get("Days"),
                transition_to_glacier_days=transitions[0].get("Days") if transitions else None,
                noncurrent_expire_days=rule.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays"),
            )
        )
    return tuple(rules)


@dataclass(frozen=True)
class _Found:
    """One bucket as read by a worker thread; the collector's own thread adds it to the snapshot."""

    bucket: Bucket
    aws_name: str
    tags: dict[str, str]
    public_policy: bool


def _bucket(connection: AwsConnection, scope: Scope, name: str) -> _Found | None:
    tags = tag_map((_optional(connection, "get_bucket_tagging", name) or {}).get("TagSet"))
    if not scope.includes(tags):
        return None
    versioning = connection.call("s3", "get_bucket_versioning", Bucket=name).get("Status") == "Enabled"
    component = scope.component_name(tags, name)
    bucket = Bucket(
        name=component,
        versioning=versioning,
        encryption=_encryption(_optional(connection, "get_bucket_encryption", name)),
        public_access_block=_public_access_block(_optional(connection, "get_public_access_block", name)),
        lifecycle=_lifecycle(_optional(connection, "get_bucket_lifecycle_configuration", name)),
    )
    public = policy_is_public((_optional(connection, "get_bucket_policy", name) or {}).get("Policy"))
    return _Found(bucket, name, tags, public)


def collect_buckets(connection: AwsConnection, scope: Scope, snapshot: Snapshot, region: str) -> None:
    names = [b["Name"] for page in connection.pages("s3", "list_buckets") for b in page.get("Buckets", [])]
    # Each bucket needs several calls; read buckets concurrently (boto3 clients are thread-safe), and write
    # what they found into the snapshot from this thread only.
    with ThreadPoolExecutor(max_workers=2 * connection.spec.concurrency) as pool:
        for found in pool.map(lambda name: _bucket(connection, scope, name), names):
            if found is None:
                continue
            name = found.bucket.name
            arn = arns.bucket(found.aws_name, connection.spec.region)
            snapshot.own(ComponentKind.BUCKET, name, found.aws_name, arn, tags=found.tags)
            if found.public_policy:
                snapshot.public_policy_buckets.add(name)
            snapshot.buckets[name] = found.bucket


# The bucket list is global; the connection's own region is a valid endpoint for it.
COLLECTOR = Collector("s3", frozenset({Section.BUCKETS}), collect_buckets, regional=False, global_region=None)
