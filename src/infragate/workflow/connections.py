"""The AWS an environment uses: embedded when its design names no account, else that account only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from infragate.model import EnvironmentSettings
from infragate.settings import Settings

if TYPE_CHECKING:  # boto3 loads only when a command talks to AWS
    from infragate.aws import AwsConnection, AwsTargetSpec


def spec_for(settings: Settings, region: str) -> AwsTargetSpec:
    from infragate.aws import AwsTargetSpec

    return AwsTargetSpec(region=region, retry_mode=settings.aws_retry_mode, max_attempts=settings.aws_max_attempts)


def connect(settings: Settings, env: EnvironmentSettings, on_start: Callable[[], None] | None = None) -> AwsConnection:
    from infragate.aws import targets

    spec = spec_for(settings, env.region)
    if env.aws.embedded:
        return targets.embedded(settings.home, spec, on_start)
    account = env.aws.account_id or ""
    return targets.account(replace(spec, profile=env.aws.profile, role_arn=env.aws.role_arn), account, env.name)
