"""Inventory against a real emulator: the S3 collector, scoping by tags, and failing collectors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from infragate.aws import AwsConnection
from infragate.inventory import Collector, Scope, Snapshot, collect
from infragate.inventory.s3 import COLLECTOR as S3
from infragate.model import BucketEncryption, Section

LOCATION = {"LocationConstraint": "eu-west-1"}


class RecordedProgress:
    def __init__(self) -> None:
        self.labels: list[str] = []
        self.done: list[tuple[str, bool]] = []

    def started(self, labels: Sequence[str]) -> None:
        self.labels = list(labels)

    def finished(self, label: str, succeeded: bool) -> None:
        self.done.append((label, succeeded))


def _bucket(aws: AwsConnection, name: str, tags: dict[str, str] | None = None) -> None:
    aws.call("s3", "create_bucket", Bucket=name, CreateBucketConfiguration=LOCATION)
    if tags:
        tag_set = [{"Key": k, "Value": v} for k, v in tags.items()]
        aws.call("s3", "put_bucket_tagging", Bucket=name, Tagging={"TagSet": tag_set})


def test_an_empty_account_gives_an_empty_complete_snapshot(aws: AwsConnection) -> None:
    snapshot = collect(aws, [S3], Scope())
    assert snapshot.buckets == {} and snapshot.complete


def test_bucket_settings_become_the_design_model(aws: AwsConnection) -> None:
    _bucket(aws, "hardened-assets")
    aws.call("s3", "put_bucket_versioning", Bucket="hardened-assets", VersioningConfiguration={"Status": "Enabled"})
    aws.call(
        "s3",
        "put_bucket_encryption",
        Bucket="hardened-assets",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
        },
    )
    block = dict.fromkeys(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True)
    aws.call("s3", "put_public_access_block", Bucket="hardened-assets", PublicAccessBlockConfiguration=block)
    aws.call(
        "s3",
        "put_bucket_lifecycle_configuration",
        Bucket="hardened-assets",
        LifecycleConfiguration={
            "Rules": [{"ID": "old", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 30}}]
        },
    )
    _bucket(aws, "bare-bucket")
    aws.call("s3", "delete_bucket_encryption", Bucket="bare-bucket")

    buckets = collect(aws, [S3], Scope()).buckets
    hardened, bare = buckets["hardened-assets"], buckets["bare-bucket"]
    assert hardened.versioning and hardened.encryption is BucketEncryption.SSE_KMS
    assert hardened.public_access_block.fully_blocked
    assert [rule.expire_days for rule in hardened.lifecycle] == [30]
    assert not bare.versioning and not bare.public_access_block.fully_blocked and bare.lifecycle == ()


def test_project_scope_keeps_only_tagged_buckets_under_their_component_name(aws: AwsConnection) -> None:
    _bucket(
        aws,
        "webshop-prod-assets-1a2b",
        {"infragate:project": "webshop", "infragate:env": "production", "infragate:component": "assets"},
    )
    _bucket(aws, "webshop-staging-assets", {"infragate:project": "webshop", "infragate:env": "staging"})
    _bucket(aws, "someone-elses-bucket")
    production = collect(aws, [S3], Scope(project="webshop", environment="production")).buckets
    assert list(production) == ["assets"]
    # Across the account, buckets are named as AWS names them: two projects may both have an "assets".
    everything = set(collect(aws, [S3], Scope()).buckets)
    assert everything == {"webshop-prod-assets-1a2b", "webshop-staging-assets", "someone-elses-bucket"}


def test_a_failing_collector_is_recorded_and_the_others_finish(aws: AwsConnection) -> None:
    _bucket(aws, "any-bucket")

    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "injected"}}, "GetBucketVersioning")

    aws.client("s3").meta.events.register("before-call.s3.GetBucketVersioning", refuse)
    identities: list[str] = []

    def whoami(connection: AwsConnection, scope: Scope, snapshot: Snapshot, region: str) -> None:
        identities.append(connection.call("sts", "get_caller_identity", region=region)["Account"])

    progress = RecordedProgress()
    sts = Collector("sts", frozenset(), whoami)
    snapshot = collect(aws, [S3, sts], Scope(), progress=progress)
    assert [(f.collector, f.code) for f in snapshot.failures] == [("s3", "aws.access-denied")]
    assert "injected" in snapshot.failures[0].message
    assert identities == [snapshot.account] and snapshot.account.isdigit()
    assert sorted(progress.labels) == ["s3", "sts"]
    assert sorted(progress.done) == [("s3", False), ("sts", True)]
    assert not snapshot.complete and snapshot.unavailable == {Section.BUCKETS}
    assert snapshot.buckets == {} and not snapshot.owners, "a failed collector leaves no half-read data behind"


def test_many_buckets_are_all_collected(aws: AwsConnection) -> None:
    for index in range(15):
        _bucket(aws, f"bulk-bucket-{index:03d}")
    assert set(collect(aws, [S3], Scope()).buckets) == {f"bulk-bucket-{index:03d}" for index in range(15)}
