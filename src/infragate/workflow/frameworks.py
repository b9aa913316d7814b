"""Compliance frameworks judged for one environment (ICP-5.3): each requirement's verdict from the evidence
the gates already read (audits, design checks, gate criteria, checklist items) or, for a manual requirement,
from security's signature. Nothing passes on missing evidence: a rule no current audit evaluated, or a
clause with no criterion, is "not evaluated"."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from infragate.policy import Status, policy_rules
from infragate.policy.context import Subject
from infragate.policy.frameworks import Framework, Requirement
from infragate.store.requirements import Signature
from infragate.workflow import gates
from infragate.workflow.framework_results import (
    FAIL,
    MANUAL,
    NOT_APPLICABLE,
    NOT_EVALUATED,
    PASS,
    FrameworkResult,
    RequirementResult,
)
from infragate.workflow.records import RunKind
from infragate.workflow.stages import Stage


@cache
def live_rules() -> frozenset[str]:
    """Rules that judge the live account: their evidence is an audit, not the design file."""
    return frozenset(rule.meta.id for rule in policy_rules() if Subject.LIVE in rule.meta.subjects)


@dataclass(frozen=True)
class Inputs:
    """Everything a framework's requirements are judged from, for one environment."""

    evidence: gates.Evidence
    criteria: tuple[gates.Criterion, ...]  # the gates' criteria before pre-launch (no circularity)
    items: Mapping[str, gates.ItemState]  # checklist items by key
    design_results: Mapping[str, tuple[Status, ...]]  # each rule's statuses on the design, this environment
    signatures: Mapping[tuple[str, str], Signature]  # (framework, requirement) -> the valid latest signature
    live: frozenset[str]


def judge(framework: Framework, inputs: Inputs) -> FrameworkResult:
    return FrameworkResult(
        framework.id,
        framework.title,
        framework.version,
        tuple(_requirement(framework.id, requirement, inputs) for requirement in framework.requirements),
    )


Part = tuple[str, str, datetime | None]  # verdict, evidence line, when


def _requirement(framework: str, requirement: Requirement, inputs: Inputs) -> RequirementResult:
    if requirement.manual:
        signed = inputs.signatures.get((framework, requirement.id))
        if signed is None:
            return RequirementResult(
                requirement.id, requirement.title, MANUAL, ("waiting for security's signature",), None, True
            )
        return RequirementResult(requirement.id, requirement.title, PASS, (signed.describe(),), signed.at, True)
    parts = [_rule(rule, inputs) for rule in requirement.rules]
    parts += [_criteria(clause, inputs) for clause in requirement.criteria]
    parts += [_item(key, inputs) for key in requirement.checklist]
    verdicts = {verdict for verdict, _, _ in parts}
    verdict = next((v for v in (FAIL, NOT_EVALUATED, PASS) if v in verdicts), NOT_APPLICABLE)
    times = [at for _, _, at in parts if at is not None]
    return RequirementResult(
        requirement.id, requirement.title, verdict, tuple(line for _, line, _ in parts), max(times, default=None)
    )


def _rule(rule: str, inputs: Inputs) -> Part:
    if rule not in inputs.live:  # a rule that judges designs only: the design file is its evidence
        statuses = inputs.design_results.get(rule, ())
        if any(s in gates.UNCLEAR for s in statuses):
            return FAIL, f"{rule}: fails on the design (or only waived)", None
        if Status.PASS in statuses:
            return PASS, f"{rule}: passes on the design", None
        if statuses:
            return NOT_APPLICABLE, f"{rule}: nothing to judge in the design", None
        return NOT_EVALUATED, f"{rule}: not evaluated on the design", None
    summary, why = gates.current_audit(inputs.evidence)
    if summary is None:
        return NOT_EVALUATED, f"{rule}: {why}", None
    audit = inputs.evidence.runs[RunKind.AUDIT]
    when = f"audit of {audit.at:%Y-%m-%d %H:%M}"
    verdict, said = {
        "unclear": (FAIL, "failing, unreadable or only accepted in the"),
        "missing": (NOT_EVALUATED, "not evaluated by the"),
        "pass": (PASS, "passed in the"),
        "not applicable": (NOT_APPLICABLE, "nothing to judge in the"),
    }[gates.audited(summary, rule, inputs.evidence.open_rules)]
    return verdict, f"{rule}: {said} {when}", audit.at


def _criteria(clause: str, inputs: Inputs) -> Part:
    found = [c for c in inputs.criteria if c.clause == clause]
    if not found:
        return NOT_EVALUATED, f"{clause}: no gate criterion judges it here", None
    unmet = [c for c in found if not c.met]
    if unmet:
        return FAIL, f"{clause}: unmet: {'; '.join(f'{c.text} ({c.detail})' for c in unmet)}", None
    if all(c.detail.startswith("not applicable") for c in found):
        return NOT_APPLICABLE, f"{clause}: {found[0].detail}", None
    return PASS, f"{clause}: {'; '.join(c.detail for c in found)}", None


def _item(key: str, inputs: Inputs) -> Part:
    item = inputs.items.get(key)
    if item is None:
        return NOT_EVALUATED, f"checklist {key}: not on this environment's checklist", None
    if not item.met:
        return FAIL, f"checklist {key}: {item.detail}", None
    if item.detail.startswith("not applicable"):
        return NOT_APPLICABLE, f"checklist {key}: {item.detail}", None
    return PASS, f"checklist {key}: {item.detail}", None


def criteria_before_launch(results: Mapping[str, list[gates.Criterion]]) -> tuple[gates.Criterion, ...]:
    return tuple(c for stage, criteria in results.items() if stage != Stage.PRE_LAUNCH for c in criteria)
