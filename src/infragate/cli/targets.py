"""Which AWS a command talks to: an environment's target, an explicit endpoint, or embedded AWS.

``infragate.aws`` (and so boto3) is imported inside the functions: only commands that talk to AWS load it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from infragate.cli.console import err
from infragate.errors import AwsCredentialsError
from infragate.model import EnvironmentSettings
from infragate.settings import Settings

if TYPE_CHECKING:
    from infragate.aws import AwsConnection, AwsTargetSpec

DEFAULT_REGION = "us-east-1"


def _spec(settings: Settings, region: str) -> AwsTargetSpec:
    from infragate.aws import AwsTargetSpec

    return AwsTargetSpec(region=region, retry_mode=settings.aws_retry_mode, max_attempts=settings.aws_max_attempts)


def embedded(settings: Settings, region: str) -> AwsConnection:
    """Embedded AWS, started in the background on first use and reused afterwards."""
    from infragate.aws import AwsConnection, EmbeddedAws

    daemon = EmbeddedAws(settings.home)
    if not daemon.status().running:
        with err.status("starting embedded AWS (moto server)…"):
            daemon.ensure()
    return AwsConnection(replace(_spec(settings, region), endpoint_url=daemon.ensure()))


def endpoint(settings: Settings, url: str, region: str) -> AwsConnection:
    from infragate.aws import AwsConnection

    return AwsConnection(replace(_spec(settings, region), endpoint_url=url, endpoint_label="AWS endpoint"))


def environment(settings: Settings, env: EnvironmentSettings) -> AwsConnection:
    """The environment's own AWS: embedded when it names no account, else that account and nothing else."""
    from infragate.aws import AwsConnection

    if env.aws.embedded:
        return embedded(settings, env.region)
    spec = replace(_spec(settings, env.region), profile=env.aws.profile, role_arn=env.aws.role_arn)
    connection = AwsConnection(spec)
    actual = str(connection.call("sts", "get_caller_identity")["Account"])
    if actual != env.aws.account_id:
        raise AwsCredentialsError(
            f"the credentials for environment {env.name} belong to account {actual}, "
            f"but the design names account {env.aws.account_id}",
            hint="Use the profile or role of the right account; infragate never works in an account the "
            "design does not name.",
        )
    return connection
