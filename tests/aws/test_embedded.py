"""Embedded AWS: a real moto server daemon, started, reused, reset and stopped; error translation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from infragate.aws import AwsConnection, AwsTargetSpec, EmbeddedAws
from infragate.errors import AwsCredentialsError, AwsNotFoundError, AwsUnreachableError


def test_the_daemon_is_reused_not_restarted(embedded: EmbeddedAws) -> None:
    first = embedded.status()
    assert first.running and first.pid and first.endpoint and first.endpoint.startswith("http://127.0.0.1:")
    assert embedded.ensure() == first.endpoint
    assert embedded.status().pid == first.pid


def test_state_survives_across_connections_and_reset_empties_it(embedded: EmbeddedAws, aws: AwsConnection) -> None:
    location = {"LocationConstraint": "eu-west-1"}
    aws.call("s3", "create_bucket", Bucket="infragate-test", CreateBucketConfiguration=location)
    other = AwsConnection(AwsTargetSpec(region="eu-west-1", endpoint_url=embedded.ensure()))
    assert [b["Name"] for b in other.call("s3", "list_buckets")["Buckets"]] == ["infragate-test"]
    embedded.reset()
    assert other.call("s3", "list_buckets")["Buckets"] == []


def test_pages_follow_pagination(aws: AwsConnection) -> None:
    aws.call("s3", "create_bucket", Bucket="paged", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    for index in range(12):
        aws.call("s3", "put_object", Bucket="paged", Key=f"k{index:02d}", Body=b"x")
    pages = list(aws.pages("s3", "list_objects_v2", Bucket="paged", PaginationConfig={"PageSize": 5}))
    assert len(pages) == 3
    assert [o["Key"] for page in pages for o in page["Contents"]] == [f"k{i:02d}" for i in range(12)]


def test_not_found_is_translated(aws: AwsConnection) -> None:
    with pytest.raises(AwsNotFoundError, match="NoSuchBucket"):
        aws.call("s3", "get_bucket_versioning", Bucket="does-not-exist")


def test_unreachable_endpoint_is_translated() -> None:
    closed = AwsConnection(AwsTargetSpec(region="eu-west-1", endpoint_url="http://127.0.0.1:9", max_attempts=1))
    with pytest.raises(AwsUnreachableError) as caught:
        closed.call("s3", "list_buckets")
    assert "aws-local status" in caught.value.hint


def test_a_real_account_without_credentials_fails_instead_of_falling_back(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask an instance metadata service
    with pytest.raises(AwsCredentialsError, match="no AWS credentials") as caught:
        AwsConnection(AwsTargetSpec(region="eu-west-1"))
    assert "will not fall back to embedded AWS" in caught.value.hint


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INFRAGATE_HOME": str(home)}
    command = [sys.executable, "-m", "infragate", "aws-local", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)


def test_aws_local_commands(tmp_path: Path) -> None:
    assert _cli(tmp_path, "status").returncode == 1
    started = _cli(tmp_path, "start")
    try:
        assert started.returncode == 0 and "running at http://127.0.0.1:" in started.stdout
        assert _cli(tmp_path, "status").returncode == 0
        assert _cli(tmp_path, "reset").returncode == 0
    finally:
        assert "stopped" in _cli(tmp_path, "stop").stdout
    assert _cli(tmp_path, "status").returncode == 1
    assert _cli(tmp_path, "reset").returncode == 3
