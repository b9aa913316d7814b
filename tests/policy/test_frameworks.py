"""The compliance framework catalog (ICP-5.3), checked as data: every rule, clause and checklist item a mapping
names exists; requirement ids are unique; no requirement is both automated and manual; nothing points at
ICP-5.3's own item, which the frameworks decide."""

from __future__ import annotations

import re

import pytest
import yaml
from pydantic import ValidationError

from infragate.policy import clause_index, policy_rules
from infragate.policy.frameworks import FOLDER, Framework, Requirement, catalog
from infragate.workflow import gates
from infragate.workflow.checklist import TEMPLATE, checklist_for
from infragate.workflow.stages import Stage, registry
from tests.conftest import WEBSHOP

FRAMEWORKS = sorted(catalog())


def test_the_shipped_frameworks_are_the_ones_clients_ask_about() -> None:
    assert FRAMEWORKS == ["cis-aws", "hipaa-security", "icp", "pci-dss-4", "soc2"]
    assert all((FOLDER / f"{name}.yaml").is_file() for name in FRAMEWORKS)


def _gate_clauses() -> set[str]:
    """Clauses some gate criterion before pre-launch judges (what ``criteria:`` may name)."""
    evidence = gates.Evidence("e", True, "sha256:x", (), (), (), (), pentest_requested=True, endpoints=("https://x",))
    judged = registry().evaluate(evidence)
    return {c.clause for stage, criteria in judged.items() if stage != Stage.PRE_LAUNCH for c in criteria}


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_every_mapping_names_things_that_exist(name: str) -> None:
    framework = catalog()[name]
    rules = {rule.meta.id for rule in policy_rules()}
    clauses = set(clause_index())
    keys = {spec.key for spec in checklist_for(str(WEBSHOP))}
    judged_clauses = _gate_clauses()
    ids = [r.id for r in framework.requirements]
    assert len(ids) == len(set(ids)), "requirement ids are unique"
    for requirement in framework.requirements:
        assert requirement.manual != requirement.automated, requirement.id
        assert set(requirement.rules) <= rules, (requirement.id, set(requirement.rules) - rules)
        assert set(requirement.criteria) <= clauses & judged_clauses, requirement.id
        assert set(requirement.checklist) <= keys, requirement.id
        assert "compliance" not in requirement.checklist and "ICP-5.3" not in requirement.criteria  # no circle
    assert framework.source.startswith(("https://", "shared/")) and framework.scope


def test_a_requirement_both_automated_and_manual_or_neither_does_not_load() -> None:
    with pytest.raises(ValidationError, match="not both"):
        Requirement(id="1", title="both at once", rules=("NET-002",), manual=True)
    with pytest.raises(ValidationError, match="not neither"):
        Requirement(id="1", title="nothing at all")
    twice = yaml.safe_load((FOLDER / "cis-aws.yaml").read_text())
    twice["requirements"].append(twice["requirements"][0])
    with pytest.raises(ValidationError, match="appears twice"):
        Framework.model_validate(twice)


def test_the_icp_item_is_decided_by_the_frameworks_and_nothing_else_signs_it() -> None:
    (item,) = [spec for spec in checklist_for(str(TEMPLATE)) if spec.key == "compliance"]
    assert item.evidence == "frameworks" and item.automatic and item.clause == "ICP-5.3"


ID_FORMATS = {  # each framework's own numbering, so a mistyped id cannot pass for a requirement
    "cis-aws": r"[1-5]\.[0-9]+(\.[0-9]+)?",
    "pci-dss-4": r"(1[0-2]|[1-9])\.[0-9]+\.[0-9]+",
    "hipaa-security": r"164\.3(08|12)\([a-e]\)(\([0-9]+\))?(\([ivx]+\))?(\([A-Z]\))?",
    "soc2": r"(CC[1-9]\.[0-9]|A1\.[1-3])",
    "icp": r"ICP-(R[1-3]|[1-6]\.[1-4])",
}


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_requirement_ids_follow_the_frameworks_own_numbering(name: str) -> None:
    wrong = [r.id for r in catalog()[name].requirements if not re.fullmatch(ID_FORMATS[name], r.id)]
    assert not wrong, wrong
