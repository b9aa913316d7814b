"""Evaluate a rule set over one environment and turn outcomes into findings, applying waivers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from infragate.model import Section, Waiver
from infragate.model.base import ComponentKind
from infragate.model.names import is_placeholder
from infragate.policy.context import RuleContext
from infragate.policy.findings import Finding, Severity, Status
from infragate.policy.registry import Outcome, Rule, RuleSet, crash_message, waivable


def evaluate(rules: RuleSet, context: RuleContext) -> list[Finding]:
    """Every rule for the context's subject (design or live) gives at least one finding: its verdicts, or
    one "not applicable" saying why it judged nothing, so a silent rule never reads as a pass."""
    findings: list[Finding] = []
    for rule in rules:
        if context.subject not in rule.meta.subjects:
            continue  # a design-only rule in a live audit (or the reverse) is not part of that check
        if not rule.applies_to(context):
            reason = f"a production-only rule; {context.environment.name} is not production"
            outcomes = [_not_applicable(context, reason)]
        else:
            outcomes = _outcomes(rule, context) or [_not_applicable(context, "nothing here for it to judge")]
        findings += [_finding(rule, outcome, context) for outcome in outcomes]
    return findings


def _not_applicable(context: RuleContext, reason: str) -> Outcome:
    return Outcome(
        context.environment.name, ComponentKind.ENVIRONMENT, Status.NOT_APPLICABLE, f"Not applicable: {reason}."
    )


# The kind a "not evaluated" finding is filed under, so summaries attribute it to the unread service.
SECTION_KIND = {
    Section.NETWORK: ComponentKind.NETWORK,
    Section.COMPUTE: ComponentKind.INSTANCE_GROUP,
    Section.DATABASES: ComponentKind.DATABASE,
    Section.BUCKETS: ComponentKind.BUCKET,
    Section.DISTRIBUTIONS: ComponentKind.DISTRIBUTION,
    Section.DNS: ComponentKind.HOSTED_ZONE,
    Section.SHIELD: ComponentKind.SHIELD,
    Section.MONITORING: ComponentKind.MONITORING,
    Section.BACKUP: ComponentKind.BACKUP,
    Section.BACKUP_SELECTIONS: ComponentKind.BACKUP,
}


def _outcomes(rule: Rule, context: RuleContext) -> list[Outcome]:
    missing = sorted(rule.reads & context.unavailable)
    if missing:
        # Judging on a section that could not be read would pass or fail on absent data: say so instead.
        message = f"Not evaluated: {', '.join(missing)} could not be read from AWS (see INV-001)."
        return [Outcome("*", SECTION_KIND[missing[0]], Status.ERROR, message)]
    try:
        return list(rule.check(context))
    except Exception as exc:  # a crashing rule is an error finding, never a silent pass
        return [Outcome("*", ComponentKind.ENVIRONMENT, Status.ERROR, crash_message(exc))]


def _valid(waiver: Waiver, context: RuleContext) -> bool:
    """A waiver waives only while it has not expired and a real person approved it (WVR-001, WVR-003)."""
    return not waiver.expired(context.today) and not is_placeholder(waiver.approver)


def _finding(rule: Rule, outcome: Outcome, context: RuleContext) -> Finding:
    meta = rule.meta
    status, waiver = outcome.status, None
    if status is Status.FAIL and waivable(meta.id):
        env = context.environment.name
        waiver = next(
            (w for w in context.waivers if w.covers(meta.id, outcome.component, env) and _valid(w, context)), None
        )
        if waiver is not None:
            status = Status.WAIVED
    return Finding(
        rule_id=meta.id,
        title=meta.title,
        severity=meta.severity,
        clause=meta.clause,
        environment=context.environment.name,
        component=outcome.component,
        kind=outcome.kind,
        status=status,
        message=outcome.message,
        waiver=waiver,
    )


@dataclass(frozen=True)
class Summary:
    """Counts by status, and failing counts by severity."""

    by_status: dict[Status, int]
    failing_by_severity: dict[Severity, int]

    @classmethod
    def of(cls, findings: Iterable[Finding]) -> Summary:
        items = list(findings)
        return cls(
            by_status=dict(Counter(f.status for f in items)),
            failing_by_severity=dict(Counter(f.severity for f in items if f.failing)),
        )


def breaches(findings: Iterable[Finding], threshold: Severity | None) -> list[Finding]:
    """Failing findings at or above ``threshold`` (``None`` means nothing breaches)."""
    if threshold is None:
        return []
    return [f for f in findings if f.failing and f.severity.at_least(threshold)]
