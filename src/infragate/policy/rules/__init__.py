"""The rule packs. Each module owns one area and exposes a ``rules`` set; ``policy_rules()`` joins them.

One catalog serves designs and live accounts: each rule says which it judges (``RuleMeta.subjects``)."""

from __future__ import annotations

from functools import cache

from infragate.policy.registry import RuleSet
from infragate.policy.rules import (
    cdn,
    compute,
    database,
    dns,
    governance,
    inventory,
    network,
    operations,
    shield,
    storage,
)

_PACKS = (network, compute, database, storage, cdn, dns, shield, operations, governance, inventory)


@cache
def policy_rules() -> RuleSet:
    """Every rule: those judging designs (desired state) and those judging live accounts (observed state)."""
    combined = RuleSet()
    for pack in _PACKS:
        combined = combined + pack.rules
    return combined
