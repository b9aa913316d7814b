"""Evaluate a rule set over one environment and turn outcomes into findings, applying waivers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from infragate.model import Section
from infragate.model.base import ComponentKind
from infragate.policy.context import RuleContext
from infragate.policy.findings import Finding, Severity, Status
from infragate.policy.registry import Outcome, Rule, RuleSet, crash_message


def evaluate(rules: RuleSet, context: RuleContext) -> list[Finding]:
    findings: list[Finding] = []
    for rule in rules:
        if not rule.applies_to(context):
            continue
        findings += [_finding(rule, outcome, context) for outcome in _outcomes(rule, context)]
    return findings


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


def _finding(rule: Rule, outcome: Outcome, context: RuleContext) -> Finding:
    meta = rule.meta
    status, waiver = outcome.status, None
    if status is Status.FAIL:
        env = context.environment.name
        waiver = next(
            (w for w in context.waivers if w.covers(meta.id, outcome.component, env) and not w.expired(context.today)),
            None,
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
