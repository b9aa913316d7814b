"""Which AWS a command talks to: an environment's target, an explicit endpoint, or embedded AWS.

The choice and the account guard live in ``infragate.aws.targets`` and the workflow; this module only adds
the terminal's "starting embedded AWS" status. ``infragate.aws`` (boto3) is imported inside the functions:
only commands that talk to AWS load it.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import TYPE_CHECKING

from infragate.cli.console import err
from infragate.model import EnvironmentSettings
from infragate.settings import Settings

if TYPE_CHECKING:
    from infragate.aws import AwsConnection


def starting_embedded(stack: ExitStack) -> None:
    """Show a spinner while embedded AWS starts (it stops when the command's stack closes)."""
    stack.enter_context(err.status("starting embedded AWS (moto server)…"))


def embedded(settings: Settings, region: str) -> AwsConnection:
    from infragate.aws import targets
    from infragate.workflow.connections import spec_for

    with ExitStack() as stack:
        return targets.embedded(settings.home, spec_for(settings, region), lambda: starting_embedded(stack))


def endpoint(settings: Settings, url: str, region: str) -> AwsConnection:
    from infragate.aws import targets
    from infragate.workflow.connections import spec_for

    return targets.endpoint(spec_for(settings, region), url)


def environment(settings: Settings, env: EnvironmentSettings) -> AwsConnection:
    from infragate.workflow.connections import connect

    with ExitStack() as stack:
        return connect(settings, env, on_start=lambda: starting_embedded(stack))
