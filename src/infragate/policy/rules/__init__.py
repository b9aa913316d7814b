"""The rule packs. Each module owns one area and exposes a ``rules`` set; ``design_rules()`` joins them."""

from __future__ import annotations

from functools import cache

from infragate.policy.registry import RuleSet
from infragate.policy.rules import (
    cdn,
    compute,
    database,
    dns,
    governance,
    network,
    operations,
    shield,
    storage,
)

_PACKS = (network, compute, database, storage, cdn, dns, shield, operations, governance)


@cache
def design_rules() -> RuleSet:
    """Every rule that judges a design (desired state)."""
    combined = RuleSet()
    for pack in _PACKS:
        combined = combined + pack.rules
    return combined
