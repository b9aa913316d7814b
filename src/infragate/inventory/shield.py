"""Shield collector: whether Shield Advanced is subscribed, and which resource ARNs it protects.

``DescribeSubscription`` is used rather than ``GetSubscriptionState``: it answers on every real account
and on the embedded emulator, which lacks the latter. No subscription is a fact to report, not an error.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from infragate.errors import AwsNotFoundError
from infragate.inventory.runner import Collector
from infragate.inventory.scope import Scope
from infragate.inventory.snapshot import Snapshot
from infragate.model import Section

if TYPE_CHECKING:  # for annotations only: importing it at run time would load boto3 or SQLAlchemy
    from infragate.aws import AwsConnection


def collect_shield(connection: AwsConnection, scope: Scope, snapshot: Snapshot, region: str) -> None:
    try:
        subscription = connection.call("shield", "describe_subscription", region=region)["Subscription"]
    except AwsNotFoundError:
        snapshot.shield_subscribed = False
        return
    end = subscription.get("EndTime")
    snapshot.shield_subscribed = not isinstance(end, datetime) or end.astimezone(UTC) > datetime.now(UTC)
    for page in connection.pages("shield", "list_protections", region=region):
        snapshot.protected_arns |= {str(p["ResourceArn"]) for p in page.get("Protections", [])}


COLLECTOR = Collector("shield", frozenset({Section.SHIELD}), collect_shield, regional=False)
