"""Inventory rules: a live audit says which services it could not read, instead of passing on missing data."""

from __future__ import annotations

from collections.abc import Iterator

from infragate.model.base import ComponentKind
from infragate.policy.context import RuleContext
from infragate.policy.findings import Severity, Status
from infragate.policy.registry import LIVE_ONLY, Outcome, RuleMeta, RuleSet

rules = RuleSet()


@rules.environment(
    RuleMeta(
        id="INV-001",
        title="Every service of the account could be read",
        severity=Severity.HIGH,
        clause="ICP-2.3",
        rationale="Verification needs the whole live setup; a service that could not be read is unverified.",
        remediation="Fix the cause shown (permissions, endpoint, region) and audit again.",
        subjects=LIVE_ONLY,
    )
)
def inventory_complete(context: RuleContext) -> Iterator[Outcome]:
    if context.live is None:
        return
    failed = {failure.collector: failure for failure in context.live.failures}
    for label in context.live.collected:
        failure = failed.get(label)
        if failure is None:
            yield Outcome(label, ComponentKind.SERVICE, Status.PASS, f"{label} was read.")
        else:
            yield Outcome(label, ComponentKind.SERVICE, Status.ERROR, f"{label} could not be read: {failure.message}")
