"""The policy engine: rule registry and metadata, rule packs, evaluation and waivers.

Rules are pure functions over ``infragate.model`` objects; they never call AWS, so the same rule judges a
design file offline and (later) a live inventory. Imports model and errors only.
"""

from infragate.policy.clauses import Clause, clause_index
from infragate.policy.context import RuleContext
from infragate.policy.design_check import check_design
from infragate.policy.engine import Summary, breaches, evaluate
from infragate.policy.findings import Finding, LocatedFinding, Severity, Status
from infragate.policy.registry import Rule, RuleMeta, RuleSet
from infragate.policy.rules import design_rules

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
    "Summary",
    "breaches",
    "check_design",
    "clause_index",
    "design_rules",
    "evaluate",
]
