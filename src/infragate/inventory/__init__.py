"""Observed state: collectors that read a live AWS account into the same typed models designs use.

Each collector owns one service, pages through everything, and fills its sections of a ``Snapshot``; a
collector that fails is recorded in the snapshot instead of aborting the others. ``infrastructure_of``
then joins the services into an ``Infrastructure``, so design rules judge live accounts unchanged. No raw
AWS dict leaves this package. Imports ``aws`` (for calls), ``model`` and ``errors``.
"""

from infragate.inventory import backup, cloudfront, cloudwatch, ec2, rds, route53, s3, shield
from infragate.inventory.assemble import infrastructure_of
from infragate.inventory.runner import Collector, collect
from infragate.inventory.scope import Scope
from infragate.inventory.snapshot import CollectorFailure, LiveInstance, LiveVolume, Snapshot

COLLECTORS: tuple[Collector, ...] = (
    ec2.COLLECTOR,
    rds.COLLECTOR,
    s3.COLLECTOR,
    cloudfront.COLLECTOR,
    route53.COLLECTOR,
    shield.COLLECTOR,
    cloudwatch.COLLECTOR,
    backup.COLLECTOR,
)
"""Every service the policy names, in the order progress is shown."""

__all__ = [
    "COLLECTORS",
    "Collector",
    "CollectorFailure",
    "LiveInstance",
    "LiveVolume",
    "Scope",
    "Snapshot",
    "collect",
    "infrastructure_of",
]
