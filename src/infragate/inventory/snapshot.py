"""What an inventory run returns: typed sections plus the collectors that failed."""

from __future__ import annotations

from dataclasses import dataclass, field

from infragate.model import Bucket


@dataclass(frozen=True)
class CollectorFailure:
    collector: str
    message: str
    code: str


@dataclass
class Snapshot:
    """Observed state, section by section; collectors fill the sections they own."""

    region: str
    buckets: dict[str, Bucket] = field(default_factory=dict)
    failures: list[CollectorFailure] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.failures
