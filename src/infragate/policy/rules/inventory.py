"""Inventory rules: a live audit says which services it could not read, instead of passing on missing data."""

from __future__ import annotations

from collections.abc import Iterator

from infragate.model import Section
from infragate.model.base import ComponentKind
from infragate.policy.context import RuleContext
from infragate.policy.findings import Severity, Status
from infragate.policy.registry import LIVE_ONLY, Outcome, RuleMeta, RuleSet

rules = RuleSet()


@rules.environment(
    RuleMeta(
        id="INV-001",
        decides="Live only: every collector run (per service and region) passes when it read everything, and is an "
        "error naming the cause when AWS refused or failed; rules that read that service are reported 'not "
        "evaluated', never passed. Cannot be waived.",
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


@rules.environment(
    RuleMeta(
        id="INV-002",
        decides="Live, project-scoped audits only: every component the environment's design declares must be found in"
        " the account; a missing one fails, so an unprovisioned environment never audits clean. Cannot be "
        "waived.",
        title="Every component of the design exists in the account",
        severity=Severity.HIGH,
        clause="ICP-2.3",
        rationale="An audit of an environment that was never provisioned, or only partly, judges nothing for "
        "the missing parts; a clean result there would be a pass on missing evidence.",
        remediation="Provision the environment (infragate plan / apply), or audit the environment that exists.",
        subjects=LIVE_ONLY,
        reads=frozenset(Section),
    )
)
def inventory_has_designed_components(context: RuleContext) -> Iterator[Outcome]:
    if context.designed is None:
        return  # an account-wide audit has no design to compare with
    live = {(kind, component.name) for kind, component in context.infrastructure.components()}
    for kind, component in context.designed.components():
        if kind is ComponentKind.SERVICE:
            continue  # additional services are outside what infragate provisions and reads
        if (kind, component.name) in live:
            yield Outcome(component.name, kind, Status.PASS, f"{kind.value} {component.name} exists.")
        else:
            message = f"{kind.value} {component.name} is in the design but was not found in the account."
            yield Outcome(component.name, kind, Status.FAIL, message)
