"""Judge a loaded design: every environment (or one) against the design rule pack, with waivers applied."""

from __future__ import annotations

from datetime import date

from infragate.design import Design
from infragate.policy.context import RuleContext
from infragate.policy.engine import evaluate
from infragate.policy.findings import LocatedFinding
from infragate.policy.registry import RuleSet
from infragate.policy.rules import policy_rules


def check_design(
    design: Design, *, environment: str | None = None, today: date | None = None, rules: RuleSet | None = None
) -> list[LocatedFinding]:
    """Findings for the named environment, or for every environment in file order."""
    if rules is None:  # the built-in rules and the organisation's packs for this design
        from infragate.policy.packs import pack_rules, packs_for

        rules = policy_rules() + pack_rules(packs_for(design))
    day = today or date.today()
    located: list[LocatedFinding] = []
    for env in design.select(environment):
        context = RuleContext(
            infrastructure=env.infrastructure,
            environment=env.settings,
            today=day,
            project=design.project,
            waivers=design.waivers,
            rule_ids=rules.ids(),
        )
        for finding in evaluate(rules, context):
            location = design.locate(env.name, finding.kind, finding.component)
            located.append(LocatedFinding(finding, location))
    return located
