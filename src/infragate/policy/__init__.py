"""The policy engine: rule registry and metadata, rule packs, evaluation and waivers.

Rules are pure functions over ``infragate.model`` objects; they never call AWS, so the same rule judges a
design file offline (``check_design``) and a live inventory (``check_live``). Imports design, inventory,
model and errors.
"""

from infragate.policy.clauses import Clause, clause_index
from infragate.policy.context import RuleContext, Subject
from infragate.policy.design_check import check_design
from infragate.policy.engine import Summary, breaches, evaluate
from infragate.policy.findings import Finding, LocatedFinding, Severity, Status
from infragate.policy.live_check import check_live
from infragate.policy.registry import Rule, RuleMeta, RuleSet
from infragate.policy.rules import policy_rules

__all__ = [
    "Clause",
    "Finding",
    "LocatedFinding",
    "Rule",
    "RuleContext",
    "RuleMeta",
    "RuleSet",
    "Severity",
    "Status",
    "Subject",
    "Summary",
    "breaches",
    "check_design",
    "check_live",
    "clause_index",
    "evaluate",
    "policy_rules",
]
