"""Connections to the three kinds of AWS target, and the guard that keeps a real-account environment in the
account its design names. Plain values in, so every front end and the workflow use the same guard."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from infragate.aws.clients import AwsConnection, AwsTargetSpec
from infragate.aws.embedded import EmbeddedAws
from infragate.errors import AwsCredentialsError

FALLBACK_REGION = "us-east-1"


def configured_region(profile: str | None = None) -> tuple[str, str]:
    """The region the AWS configuration names (AWS_REGION, AWS_DEFAULT_REGION, or the profile's config),
    and where it came from; us-east-1 when nothing names one."""
    import boto3  # boto3 resolves the same sources the AWS CLI does

    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if os.environ.get(variable):
            return os.environ[variable], f"from {variable}"
    try:
        region = boto3.session.Session(profile_name=profile).region_name
    except Exception:  # a missing or broken profile: say where the fallback came from instead of failing here
        region = None
    if region:
        return region, f"from the AWS config of profile {profile or os.environ.get('AWS_PROFILE') or 'default'}"
    return FALLBACK_REGION, "the default: no region is set in AWS_REGION, AWS_DEFAULT_REGION or ~/.aws/config"


def embedded(home: Path, spec: AwsTargetSpec, on_start: Callable[[], None] | None = None) -> AwsConnection:
    """Embedded AWS, started in the background on first use (``on_start`` is told) and reused afterwards."""
    daemon = EmbeddedAws(home)
    if not daemon.status().running and on_start is not None:
        on_start()
    return AwsConnection(replace(spec, endpoint_url=daemon.ensure()))


def endpoint(spec: AwsTargetSpec, url: str) -> AwsConnection:
    return AwsConnection(replace(spec, endpoint_url=url, endpoint_label="AWS endpoint"))


def account(spec: AwsTargetSpec, account_id: str, environment: str) -> AwsConnection:
    """The named account and nothing else: the credentials must belong to it."""
    connection = AwsConnection(spec)
    actual = str(connection.call("sts", "get_caller_identity")["Account"])
    if actual != account_id:
        raise AwsCredentialsError(
            f"the credentials for environment {environment} belong to account {actual}, "
            f"but the design names account {account_id}",
            hint="Use the profile or role of the right account; infragate never works in an account the "
            "design does not name.",
        )
    return connection
