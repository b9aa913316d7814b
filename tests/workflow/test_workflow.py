"""The workflow walked for real: a project moves from design through provisioning, each gate refusing until
its criterion holds (with the reason), and each role able to do exactly its part."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from infragate.aws import AwsConnection
from infragate.design import Design, load_design
from infragate.model import Role
from infragate.policy.frameworks import catalog
from infragate.provision import service
from infragate.store import Store, audit_log
from infragate.store import jobs as job_store
from infragate.store.findings import FindingStatus, Observed
from infragate.store.schema import AuditLogEntry, DesignVersion, User, WaiverRecord
from infragate.workflow.records import (
    AuditSummary,
    ChangesSummary,
    DeploySummary,
    DocsSummary,
    DrillSummary,
    ScanSummary,
    ShieldCoverage,
    StressSummary,
    TestSummary,
    VerifySummary,
)
from infragate.workflow.roles import RoleError
from infragate.workflow.stages import Stage
from tests.conftest import INSECURE, WEBSHOP
from tests.provision.test_lifecycle import apply_design
from tests.support.acting import Person
from tests.support.people import seat_owners

VERIFIED = VerifySummary(aligned=True, shield=ShieldCoverage(subscribed=True))

LEAD, INFRA, DEV, SECURITY = (
    "lena.lead@example.com",
    "ivan.infra@example.com",
    "dara.dev@example.com",
    "sam.sec@example.com",
)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store(f"sqlite:///{tmp_path / 'workflow.db'}")
    opened.upgrade()
    return opened


def as_user(store: Store, name: str, design: Design | None = None) -> Person:
    """The workflow as ``name``, with the design's owners seated as the project's members by an admin."""
    design = design or load_design(WEBSHOP)
    seat_owners(store, design)
    return Person(store, design, name)


def unmet(flow: Person, env: str, stage: Stage) -> dict[str, str]:
    report = flow.gate_report(env)
    return {c.text: c.detail for c in report.results[stage] if not c.met}


def test_owners_become_members_with_their_roles_once_an_admin_applies_the_design(store: Store) -> None:
    members = {(m.user, m.role) for m in as_user(store, LEAD).members()}
    assert {(LEAD, "lead"), (SECURITY, "security"), (DEV, "developer")} <= members
    with store.session() as session:
        global_roles = {u.name: u.roles for u in session.scalars(select(User))}
    assert global_roles[LEAD] == [] and global_roles["ada.admin@example.com"] == ["admin"]


def test_design_gate_needs_a_clean_design_a_lead_approval_and_in_production_a_security_review(
    store: Store, webshop_variant: Callable[[dict[str, object]], Design]
) -> None:
    lead = as_user(store, LEAD)
    documented = "documented: design docs generated from this exact digest"
    missing = unmet(lead, "production", Stage.DESIGN)
    assert set(missing) == {
        documented,
        "approved by a lead (this exact design digest)",
        "reviewed by security (this exact design digest)",
    }
    assert lead.gate_report("production").stage == Stage.DESIGN

    lead.record_run("production", DocsSummary(), succeeded=True)
    lead.approve_design("production", "requirements met")
    assert set(unmet(lead, "production", Stage.DESIGN)) == {"reviewed by security (this exact design digest)"}
    as_user(store, SECURITY).approve_design("production", "network exposure reviewed")
    assert unmet(lead, "production", Stage.DESIGN) == {}
    assert lead.gate_report("production").stage == Stage.PROVISIONING

    staging = unmet(lead, "staging", Stage.DESIGN)
    assert set(staging) == {documented, "approved by a lead (this exact design digest)"}, "no security review"

    changed = webshop_variant({"compute": {"web": {"imdsv2": False}}})
    changed_flow = as_user(store, LEAD, changed)
    after_change = unmet(changed_flow, "production", Stage.DESIGN)
    assert "approved by a lead (this exact design digest)" in after_change, "an approval binds to one digest"
    assert documented in after_change, "docs count only for the digest they were made from"
    assert "EC2-003 web" in after_change["the design passes every policy rule (or the failure is waived)"]


def test_provisioning_gate_follows_apply_and_verify_and_later_gates_say_no_evidence_yet(
    store: Store, aws: AwsConnection
) -> None:
    lead = as_user(store, LEAD)
    lead.approve_design("staging")
    lead.record_run("staging", DocsSummary(), succeeded=True)
    assert unmet(lead, "staging", Stage.PROVISIONING) == {
        "the last apply succeeded": "never applied",
        "the last verify (after the last apply) found live == design": "never verified",
    }
    design = load_design(WEBSHOP)
    result = apply_design(aws, design)
    lead.record_run("staging", ChangesSummary(plan="sha256:x"), succeeded=result.succeeded)
    assert set(unmet(lead, "staging", Stage.PROVISIONING)) == {
        "the last verify (after the last apply) found live == design"
    }
    verification = service.verify(aws, design, "staging", service.read_live(aws, design, "staging"))
    lead.record_verification("staging", verification)
    report = lead.gate_report("staging")
    assert unmet(lead, "staging", Stage.PROVISIONING) == {}
    assert report.stage == Stage.DEPLOYMENT_TESTING
    later = [c for c in report.unmet() if c.stage in (Stage.DEPLOYMENT_TESTING, Stage.SECURITY_COMPLIANCE)]
    deploy = next(c for c in later if c.clause == "ICP-3.1")  # a capability now: not "no evidence yet"
    assert deploy.detail.startswith("no deployment recorded: deploy staging through the pipeline")
    scan = next(c for c in later if c.clause == "ICP-4.1")
    assert scan.detail == "never scanned: infragate scan --env staging"
    weekly = [(s.name, s.kind, s.cron) for s in job_store.schedules(store, "webshop") if s.environment == "staging"]
    assert weekly == [("weekly-scan", "scan", "0 2 * * 1")]  # deployment-testing brought ICP-4.1's regular scan
    tests = next(c for c in later if c.clause == "ICP-3.2")
    assert tests.detail == "never tested: infragate test --env staging"  # a capability now: not "no evidence yet"
    stress = next(c for c in later if c.clause == "ICP-3.3")
    assert stress.detail == "never stress-tested: infragate stress --env staging"
    shield = next(c for c in report.results[Stage.SECURITY_COMPLIANCE] if c.clause == "ICP-4.2")
    assert shield.met, "verify recorded full Shield coverage"

    with pytest.raises(Exception, match="cannot launch") as refused:
        lead.launch("staging")
    assert "ICP-3.1" in str(refused.value)


def test_findings_flow_in_and_roles_decide_who_closes_them(store: Store) -> None:
    lead = as_user(store, LEAD)
    observed = [
        Observed("fp-ssh", "NET-002", "web-sg", "critical", "SSH open", "SSH from 0.0.0.0/0"),
        Observed("fp-logs", "CF-004", "cdn", "medium", "No logs", "no access logs"),
    ]
    lead.record_run("staging", AuditSummary(), succeeded=True, findings=observed, source="audit")
    ids = {f.rule_id: f.id for f in lead.findings("staging")}
    assert set(ids) == {"NET-002", "CF-004"}
    assert "NET-002 web-sg" in unmet(lead, "staging", Stage.SECURITY_COMPLIANCE)["no high or critical finding is open"]

    with pytest.raises(RoleError, match="needs the role security"):
        lead.resolve(ids["NET-002"], FindingStatus.FIXED, "closed the port")
    with pytest.raises(RoleError):
        as_user(store, DEV).assign(ids["CF-004"], DEV)
    lead.assign(ids["CF-004"], DEV)
    as_user(store, DEV).resolve(ids["CF-004"], FindingStatus.FIXED, "logging bucket configured")
    as_user(store, SECURITY).resolve(ids["NET-002"], FindingStatus.FIXED, "SSH limited to the VPN range")
    assert lead.findings("staging") == []
    assert "no high or critical finding is open" not in unmet(lead, "staging", Stage.SECURITY_COMPLIANCE)


def test_checklist_items_are_signed_only_by_their_role(store: Store) -> None:
    lead = as_user(store, LEAD)
    with pytest.raises(RoleError, match="signed by the infra role"):
        lead.sign("staging", "on-call-tested", "paged in 2 minutes")
    with pytest.raises(Exception, match="met by evidence"):
        lead.sign("staging", "alarms", "looks fine")
    with pytest.raises(Exception, match="met by evidence"):
        as_user(store, INFRA).sign("staging", "restore-tested", "a signature is no restore drill")
    as_user(store, INFRA).sign("staging", "on-call-tested", "paged the rota in 2 minutes")
    items = {i.spec.key: i for i in lead.evidence("staging").checklist}
    assert items["on-call-tested"].met and INFRA in items["on-call-tested"].detail
    assert not items["alarms"].met and items["alarms"].detail == "no audit of this environment yet"


def _attempt(store: Store, person: str, action: str) -> str:
    """Try one action as one person: 'ok', 'forbidden' (a role refusal) or another refusal's message."""
    flow = as_user(store, person)
    flow.record_run(
        "staging",
        AuditSummary(),
        succeeded=True,
        findings=[
            Observed("fp-crit", "NET-002", "web-sg", "critical", "SSH open", "open"),
            Observed("fp-low", "NET-007", "web-sg", "low", "no description", "no description"),
        ],
        source="audit",
    )
    ids = {f.rule_id: f.id for f in flow.findings("staging", include_closed=True)}
    attempts = {
        "approve design": lambda: flow.approve_design("staging"),
        "approve plan": lambda: flow.approve_plan("sha256:" + "0" * 64, "staging"),
        "assign": lambda: flow.assign(ids["NET-007"], INFRA),
        "fix low": lambda: flow.resolve(ids["NET-007"], FindingStatus.FIXED, "described"),
        "fix critical": lambda: flow.resolve(ids["NET-002"], FindingStatus.FIXED, "closed"),
        "accept low": lambda: flow.resolve(ids["NET-007"], FindingStatus.ACCEPTED_RISK, "fine"),
        "sign on-call": lambda: flow.sign("staging", "on-call-tested", "paged"),
        "sign a manual requirement": lambda: flow.sign_requirement("staging", "cis-aws", "5.4", "checked"),
        "launch": lambda: flow.launch("staging"),
    }
    try:
        attempts[action]()
    except RoleError:
        return "forbidden"
    except Exception as refused:
        return str(refused)
    return "ok"


ROLE_MATRIX = {
    # action: the people allowed (everyone else is refused for their role)
    "approve design": {LEAD, SECURITY},  # the lead approves, security reviews
    "approve plan": {LEAD},
    "assign": {LEAD, SECURITY},
    "fix low": {LEAD, INFRA, DEV, SECURITY},
    "fix critical": {SECURITY},
    "accept low": {LEAD, SECURITY},
    "sign on-call": {INFRA},
    "sign a manual requirement": {SECURITY},
    "launch": {LEAD},
}


@pytest.mark.parametrize("action", sorted(ROLE_MATRIX))
def test_each_role_can_do_exactly_its_part(store: Store, action: str) -> None:
    for person in (LEAD, INFRA, DEV, SECURITY):
        outcome = _attempt(store, person, action)
        if person in ROLE_MATRIX[action]:
            assert outcome == "ok" or "cannot launch" in outcome, (person, action, outcome)
        else:
            assert outcome == "forbidden", (person, action, outcome)


def test_only_security_verifies_and_only_a_fixed_finding(store: Store) -> None:
    lead = as_user(store, LEAD)
    lead.record_run(
        "staging",
        AuditSummary(),
        succeeded=True,
        findings=[Observed("fp", "CF-004", "cdn", "medium", "t", "m")],
        source="audit",
    )
    (finding,) = lead.findings("staging")
    security = as_user(store, SECURITY)
    with pytest.raises(Exception, match="only a fixed finding"):
        security.resolve(finding.id, FindingStatus.VERIFIED, "checked")
    lead.resolve(finding.id, FindingStatus.FIXED, "logging on")
    with pytest.raises(RoleError):
        lead.resolve(finding.id, FindingStatus.VERIFIED, "checked")
    security.resolve(finding.id, FindingStatus.VERIFIED, "logs arrive in the bucket")
    assert [f.status for f in lead.findings("staging", include_closed=True)] == ["verified"]


def test_every_decision_is_in_the_audit_log(store: Store) -> None:
    as_user(store, LEAD).approve_design("staging", "ok")
    as_user(store, INFRA).sign("staging", "on-call-tested", "done")
    with store.session() as session:
        checked, breaks = audit_log.verify(session)
        actions = [entry.action for entry in session.scalars(select(AuditLogEntry))]
    # The admin seats the owners; registering the design opens its requested pentests (one per environment).
    opened = ["pentest-requested"] * 2
    seating = ["admin-created", *opened] + ["membership-granted"] * (checked - 5)
    assert not breaks and actions == [*seating, "design-approved", "checklist-signed"]


def test_design_versions_and_waivers_are_kept(store: Store) -> None:
    insecure = load_design(INSECURE)
    as_user(store, LEAD, insecure).gate_report(next(iter(insecure.environments)))
    with store.session() as session:
        versions = list(session.scalars(select(DesignVersion)))
        waivers = list(session.scalars(select(WaiverRecord)))
    assert [v.digest for v in versions] == [insecure.digest] and versions[0].content == INSECURE.read_text()
    assert [(w.rule_id, w.approver) for w in waivers] == [(w.rule, w.approver) for w in insecure.waivers]


def test_a_project_extends_the_checklist_beside_its_design(store: Store, tmp_path: Path) -> None:
    design_file = tmp_path / "infragate.yaml"
    design_file.write_text(WEBSHOP.read_text())
    (tmp_path / "checklist.yaml").write_text(
        "- {key: pci-scan, title: The PCI ASV scan passed, area: compliance, clause: ICP-5.3, role: security}\n"
        "- {key: restore-tested, title: Restore tested in the DR region, area: backup, clause: ICP-5.2, role: lead}\n"
    )
    flow = as_user(store, LEAD, load_design(design_file))
    items = {item.spec.key: item.spec for item in flow.evidence("staging").checklist}
    assert items["pci-scan"].role is Role.SECURITY, "added"
    assert items["restore-tested"].role is Role.LEAD and "DR region" in items["restore-tested"].title, "overridden"
    assert "alarms" in items, "the template's other items stay"
    flow.sign("staging", "restore-tested", "restored in eu-central-1")


def test_refused_attempts_are_in_the_audit_log(store: Store) -> None:
    with pytest.raises(RoleError):
        as_user(store, DEV).approve_design("staging")
    with pytest.raises(Exception, match="cannot launch"):
        as_user(store, LEAD).launch("staging")
    with store.session() as session:
        refused = session.scalars(select(AuditLogEntry).where(AuditLogEntry.action == "refused")).all()
        assert [(e.actor, e.detail["kind"]) for e in refused] == [(DEV, "RoleError"), (LEAD, "RefusedError")]
        assert "may not review a design" in refused[0].detail["reason"]
        assert audit_log.verify(session)[1] == []


def close_pentest(store: Store, home: Path) -> None:
    """Carry staging's requested pentest to closed, as the roles would (no findings)."""
    from datetime import UTC, datetime, timedelta

    from infragate.workflow.pentesting import Pentesting

    def step(user: str) -> Pentesting:
        return Pentesting(as_user(store, user).work, home, "staging")

    step(SECURITY).scope()
    start = datetime.now(UTC) - timedelta(days=3)
    step(LEAD).schedule("Zoonu", "", start, start + timedelta(days=1), [])
    step(SECURITY).start()
    report = home / "report.pdf"
    report.write_bytes(b"%PDF-1.4 nothing found")
    step(SECURITY).report(report)
    findings = home / "none.csv"
    findings.write_text("id,title,severity\n")
    step(SECURITY).import_findings(findings)
    step(SECURITY).retest()
    step(SECURITY).close()


def test_the_next_step_is_the_first_unmet_criterion_in_stage_order(store: Store, tmp_path: Path) -> None:
    lead = as_user(store, LEAD)
    lead.approve_design("staging")
    lead.record_run("staging", DocsSummary(), succeeded=True)
    # provisioning is not done: the next step is the apply, not a pre-launch signature further on
    assert lead.gate_report("staging").next_step() == "lead: the last apply succeeded (ICP-2.1)"
    lead.record_run("staging", ChangesSummary(plan="sha256:x"), succeeded=True)
    lead.record_run("staging", VERIFIED, succeeded=True)
    report = lead.gate_report("staging")
    assert report.stage == Stage.DEPLOYMENT_TESTING
    # a deployment through the pipeline is the first thing someone can do now (ICP-3.1), before any signature
    assert report.next_step() == (
        "developer: the last deployment (after the last apply), reported by a signed webhook, succeeded through "
        "the policy's pipeline (ICP-3.1)"
    )
    deployed = DeploySummary(source="circleci", delivery="d-1", state="success", sha="1285fe1c2d9a",
                             stages_ran=["test", "validate-design"])  # fmt: skip
    lead.record_run("staging", deployed, succeeded=True)
    assert lead.gate_report("staging").next_step() == (
        "developer: the last infrastructure test run (after the last apply) passed (ICP-3.2)"
    )
    lead.record_run("staging", TestSummary(passed=True, counts={"passed": 17}), succeeded=True)
    stress_next = lead.gate_report("staging").next_step()
    assert (
        stress_next == "developer: the last stress test (after the last apply) met every SLO at the peak load (ICP-3.3)"
    )
    met = {"passed": True, "measured": 12.0, "target": 300.0}
    lead.record_run("staging", StressSummary(passed=True, verdicts={"p95": met}), succeeded=True)
    scan_next = lead.gate_report("staging").next_step()
    assert scan_next == "security: a recent OWASP scan with no open high/critical finding (ICP-4.1)"
    endpoints = [str(e.url) for e in load_design(WEBSHOP).environment("staging").settings.endpoints]
    scanned = ScanSummary(engine="builtin", profile="standard", complete=True, endpoints=endpoints, covered=endpoints)
    lead.record_run("staging", scanned, succeeded=True)
    pentest_next = lead.gate_report("staging").next_step()
    assert pentest_next.startswith("security: no pentest requested, or the requested one closed")  # the design asks
    close_pentest(store, tmp_path)
    assert lead.gate_report("staging").next_step().startswith("lead: checklist: The setup was reviewed")
    for key, person in (("setup-reviewed", LEAD), ("security-measures", SECURITY), ("on-call-tested", INFRA)):
        as_user(store, person).sign("staging", key, "checked")
    empty = {"passed": False, "not_applicable": "empty"}
    drilled = {"orders-db": {"passed": True, "rto_minutes": 0.2, "rpo_minutes": 30.0}, "assets": empty, "logs": empty}
    lead.record_run("staging", DrillSummary(passed=True, drill="d1", embedded=True, components=drilled), succeeded=True)
    audited = ("RDS-004", "BAK-002", "BAK-003", "MON-001", "MON-002", "MON-003", "MON-004", "MON-005", "MON-006")
    lead.record_run("staging", AuditSummary(rules={r: {"pass": 1} for r in audited}), succeeded=True)
    # ICP-5.3: the design's frameworks (cis-aws, pci-dss-4) judge rules these audit results never evaluated
    report = lead.gate_report("staging")
    assert report.next_step().startswith("security: checklist: Compliance with industry regulations")
    (unmet,) = report.unmet()
    assert unmet.clause == "ICP-5.3" and "cis-aws 2.1.4 (not evaluated)" in unmet.detail
    chosen = [f for f in catalog().values() if f.id in load_design(WEBSHOP).compliance]
    framework_rules = {rule for f in chosen for r in f.requirements for rule in r.rules}
    audit = AuditSummary(rules={r: {"pass": 1} for r in (*audited, *framework_rules)})
    lead.record_run("staging", audit, succeeded=True)
    (waiting,) = lead.gate_report("staging").unmet()  # the evidence is in; the manual requirements wait
    assert "cis-aws 2.1.1 (manual)" in waiting.detail and "(not evaluated)" not in waiting.detail
    for framework in chosen:
        for requirement in (r for r in framework.requirements if r.manual):
            as_user(store, SECURITY).sign_requirement("staging", framework.id, requirement.id, "checked")
    assert lead.gate_report("staging").next_step() == "lead: launch (every gate holds)"  # nothing waits any more
