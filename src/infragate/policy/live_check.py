"""Judge a live account: the inventory snapshot, assembled into an infrastructure, against the rule catalog."""

from __future__ import annotations

from datetime import date

from infragate.design import Design
from infragate.inventory import Snapshot, infrastructure_of
from infragate.model import ComponentKind, EnvironmentSettings
from infragate.policy.context import RuleContext
from infragate.policy.engine import evaluate
from infragate.policy.findings import LocatedFinding
from infragate.policy.registry import RuleSet
from infragate.policy.rules import policy_rules

ACCOUNT_ENVIRONMENT = EnvironmentSettings(name="account", production=True)
"""What an audit without an environment judges against: production rules apply, the strictest reading."""


def check_live(
    snapshot: Snapshot,
    *,
    design: Design | None = None,
    environment: str | None = None,
    today: date | None = None,
    rules: RuleSet | None = None,
) -> list[LocatedFinding]:
    """Findings for a live account. With a design and environment, that environment's settings (production
    or not) and the design's waivers apply, and findings on a project's components point at the design line
    that declares them; otherwise the account is judged as production, with no waivers."""
    if rules is None:  # the built-in rules and the organisation's packs (for this design, when there is one)
        from infragate.policy.packs import pack_rules, packs_for

        rules = policy_rules() + pack_rules(packs_for(design))
    env = design.environment(environment) if design is not None and environment is not None else None
    context = RuleContext(
        infrastructure=infrastructure_of(snapshot),
        environment=env.settings if env is not None else ACCOUNT_ENVIRONMENT,
        today=today or date.today(),
        project=design.project if design is not None else None,
        waivers=design.waivers if design is not None else (),
        rule_ids=rules.ids(),
        live=snapshot,
        designed=env.infrastructure if env is not None and snapshot.scoped else None,
    )
    located = []
    for finding in evaluate(rules, context):
        location = None
        if design is not None and env is not None and snapshot.scoped and finding.kind is not ComponentKind.SERVICE:
            location = design.locate(env.name, finding.kind, finding.component)
        resource = snapshot.resource_of(finding.kind, finding.component)
        located.append(LocatedFinding(finding, location, resource))
    return located
