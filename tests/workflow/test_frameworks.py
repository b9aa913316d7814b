"""Judging a framework's requirements (ICP-5.3): each must fail, each tricky variant a literal reading would
pass must not pass, and the compliant decoys must hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from infragate.design import load_design
from infragate.errors import DesignValidationError
from infragate.policy import Status
from infragate.policy.frameworks import Framework, Requirement, chosen
from infragate.store.requirements import Signature
from infragate.workflow import gates
from infragate.workflow.checklist import ChecklistSpec
from infragate.workflow.framework_results import FAIL, MANUAL, NOT_APPLICABLE, NOT_EVALUATED, PASS
from infragate.workflow.frameworks import Inputs, judge
from infragate.workflow.records import AuditSummary, RunKind
from infragate.workflow.stages import Stage
from tests.conftest import WEBSHOP

NOW = datetime.now(UTC)
LIVE = frozenset({"NET-002", "RDS-002"})


def run(kind: RunKind, at: datetime, summary: Any = None) -> gates.RunFacts:
    return gates.RunFacts(kind, "succeeded", at, summary)


def inputs(
    *,
    audit: dict[str, dict[str, int]] | None = None,
    audited_at: datetime = NOW,
    applied_at: datetime | None = None,
    open_rules: frozenset[str] = frozenset(),
    design: dict[str, tuple[Status, ...]] | None = None,
    criteria: tuple[gates.Criterion, ...] = (),
    items: dict[str, gates.ItemState] | None = None,
    signatures: dict[tuple[str, str], Signature] | None = None,
) -> Inputs:
    runs = {}
    if audit is not None:
        runs[RunKind.AUDIT] = run(RunKind.AUDIT, audited_at, AuditSummary(rules=audit))
    if applied_at is not None:
        runs[RunKind.APPLY] = run(RunKind.APPLY, applied_at)
    evidence = gates.Evidence("staging", False, "sha256:x", (), (), (), (), False, runs=runs, open_rules=open_rules)
    return Inputs(evidence, criteria, items or {}, design or {}, signatures or {}, LIVE)


def verdict_of(requirement: Requirement, given: Inputs) -> tuple[str, tuple[str, ...]]:
    framework = Framework(id="tt", title="test", version="1", source="https://x.example", scope="test",
                          requirements=(requirement,))  # fmt: skip
    (result,) = judge(framework, given).results
    return result.verdict, result.evidence


ENCRYPTED = Requirement(id="3.5.1", title="stored data encrypted", rules=("RDS-002",))


def test_a_live_rule_is_judged_by_a_current_audit_only() -> None:
    assert verdict_of(ENCRYPTED, inputs(audit={"RDS-002": {"pass": 1}}))[0] == PASS  # the compliant decoy
    assert verdict_of(ENCRYPTED, inputs(audit={"RDS-002": {"fail": 1, "pass": 2}}))[0] == FAIL
    # tricky: a pass from an audit older than the last apply says nothing about what runs now
    stale = inputs(audit={"RDS-002": {"pass": 1}}, audited_at=NOW - timedelta(hours=1), applied_at=NOW)
    assert verdict_of(ENCRYPTED, stale) == (
        NOT_EVALUATED,
        ("RDS-002: the latest audit is older than the latest apply",),
    )
    assert verdict_of(ENCRYPTED, inputs())[0] == NOT_EVALUATED  # never audited
    assert verdict_of(ENCRYPTED, inputs(audit={"NET-002": {"pass": 1}}))[0] == NOT_EVALUATED  # not in the audit
    # tricky: the audit passed, but a finding of the rule is still open (or only accepted)
    assert verdict_of(ENCRYPTED, inputs(audit={"RDS-002": {"pass": 1}}, open_rules=frozenset({"RDS-002"})))[0] == FAIL
    assert verdict_of(ENCRYPTED, inputs(audit={"RDS-002": {"pass": 1, "waived": 1}}))[0] == FAIL
    assert verdict_of(ENCRYPTED, inputs(audit={"RDS-002": {"not_applicable": 3}}))[0] == NOT_APPLICABLE


def test_a_design_rule_is_judged_on_the_design_and_a_waiver_is_not_compliance() -> None:
    named = Requirement(id="R1", title="a lead is named", rules=("GOV-001",))
    assert verdict_of(named, inputs(design={"GOV-001": (Status.PASS,)}))[0] == PASS
    assert verdict_of(named, inputs(design={"GOV-001": (Status.PASS, Status.WAIVED)}))[0] == FAIL
    assert verdict_of(named, inputs(design={}))[0] == NOT_EVALUATED


def criterion(clause: str, met: bool, detail: str) -> gates.Criterion:
    return gates.Criterion(Stage.SECURITY_COMPLIANCE, clause, "text", met, detail, gates.Role.SECURITY)


def test_criteria_and_checklist_items_must_be_met_and_a_missing_one_is_not_evaluated() -> None:
    scanned = Requirement(id="11.3.1", title="scans run", criteria=("ICP-4.1",))
    assert verdict_of(scanned, inputs(criteria=(criterion("ICP-4.1", True, "at …"),)))[0] == PASS
    assert verdict_of(scanned, inputs(criteria=(criterion("ICP-4.1", False, "never scanned"),)))[0] == FAIL
    assert verdict_of(scanned, inputs())[0] == NOT_EVALUATED  # no criterion of the clause: nothing judged it
    pentested = Requirement(id="p", title="pentest", criteria=("ICP-4.3",))
    not_asked = criterion("ICP-4.3", True, "not applicable: no pentest was requested")
    assert verdict_of(pentested, inputs(criteria=(not_asked,)))[0] == NOT_APPLICABLE
    drilled = Requirement(id="A1.2", title="restores work", checklist=("restore-tested",))
    spec = ChecklistSpec(key="restore-tested", title="drill", area="backup", clause="ICP-5.2", role="infra",
                         evidence="restore-drill")  # fmt: skip
    assert verdict_of(drilled, inputs(items={"restore-tested": gates.ItemState(spec, True, "drill on …")}))[0] == PASS
    failed = gates.ItemState(spec, False, "the latest drill failed: orders-db")
    assert verdict_of(drilled, inputs(items={"restore-tested": failed})) == (
        FAIL,
        ("checklist restore-tested: the latest drill failed: orders-db",),
    )
    assert verdict_of(drilled, inputs())[0] == NOT_EVALUATED


def test_a_requirement_with_several_kinds_of_evidence_fails_if_any_fails() -> None:
    both = Requirement(id="6.4.1", title="WAF and scans", rules=("RDS-002",), criteria=("ICP-4.1",))
    given = inputs(audit={"RDS-002": {"pass": 1}}, criteria=(criterion("ICP-4.1", False, "open: SCAN-1"),))
    assert verdict_of(both, given)[0] == FAIL


def test_a_manual_requirement_waits_for_a_signature() -> None:
    mfa = Requirement(id="8.4.2", title="MFA for admins", manual=True)
    assert verdict_of(mfa, inputs()) == (MANUAL, ("waiting for security's signature",))
    signed = {("tt", "8.4.2"): Signature("sam.sec@example.com", NOW, "IdP policy", "idp.pdf", "ab" * 32)}
    verdict, evidence = verdict_of(mfa, inputs(signatures=signed))
    assert verdict == PASS and evidence[0].startswith("signed by sam.sec@example.com") and "idp.pdf" in evidence[0]


def test_a_design_choosing_an_unknown_framework_is_told_where(tmp_path: Path) -> None:
    text = WEBSHOP.read_text().replace("compliance: [cis-aws, pci-dss-4]", "compliance: [cis-aws, pci-dss]")
    (tmp_path / "infragate.yaml").write_text(text)
    design = load_design(tmp_path / "infragate.yaml")
    with pytest.raises(DesignValidationError, match=r"infragate.yaml:\d+: compliance: 'pci-dss' is not a framework"):
        chosen(design)
    assert [f.id for f in chosen(load_design(WEBSHOP))] == ["icp", "cis-aws", "pci-dss-4"]  # the policy always
