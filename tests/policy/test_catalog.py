"""Meta-tests that lint the rule catalog itself."""

from __future__ import annotations

import re

from infragate.policy import clause_index, policy_rules
from infragate.policy.clauses import Clause

ROLES = {"lead", "infra", "developer", "security", "client", "admin"}


def test_rule_ids_follow_the_area_number_scheme() -> None:
    for rule in policy_rules():
        assert re.fullmatch(r"[A-Z][A-Z0-9]{1,4}-\d{3}", rule.meta.id), rule.meta.id


def test_every_rule_cites_a_clause_from_the_index() -> None:
    clauses = clause_index()
    unknown = {rule.meta.id: rule.meta.clause for rule in policy_rules() if rule.meta.clause not in clauses}
    assert not unknown


def test_every_rule_explains_itself() -> None:
    for rule in policy_rules():
        meta = rule.meta
        assert meta.title and meta.rationale.endswith(".") and meta.remediation.endswith("."), meta.id
        assert len(meta.rationale) > 20 and len(meta.remediation) > 10, meta.id


def test_every_rule_says_how_it_decides() -> None:
    for rule in policy_rules():
        decides = rule.meta.decides
        assert decides.endswith(".") and len(decides) > 20 and "TODO" not in decides, rule.meta.id


def test_rule_function_names_are_unique() -> None:
    names = [rule.function for rule in policy_rules() if rule.function != "project_owner_named"]
    assert len(names) == len(set(names))


def test_there_are_at_least_thirty_rules() -> None:
    assert len(policy_rules()) >= 30


def test_clause_index_matches_the_policy_clause_ids() -> None:
    clauses = clause_index()
    expected = {"ICP-R1", "ICP-R2", "ICP-R3", "ICP-6.1"} | {f"ICP-1.{n}" for n in range(1, 5)}
    expected |= {f"ICP-2.{n}" for n in range(1, 4)} | {f"ICP-3.{n}" for n in range(1, 4)}
    expected |= {f"ICP-4.{n}" for n in range(1, 5)} | {f"ICP-5.{n}" for n in range(1, 4)}
    assert set(clauses) == expected
    assert all(isinstance(c, Clause) and c.roles and {r.value for r in c.roles} <= ROLES for c in clauses.values())
