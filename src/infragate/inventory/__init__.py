"""Observed state: collectors that read a live AWS account into the same typed models designs use.

Each collector owns one service, pages through everything, and returns ``infragate.model`` objects; a
collector that fails is recorded in the snapshot instead of aborting the others. No raw AWS dict leaves
this package. Imports ``aws`` (for calls), ``model`` and ``errors``.
"""

from infragate.inventory.runner import Collector, collect
from infragate.inventory.scope import Scope
from infragate.inventory.snapshot import CollectorFailure, Snapshot

__all__ = ["Collector", "CollectorFailure", "Scope", "Snapshot", "collect"]
