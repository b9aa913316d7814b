"""Workflow commands as people run them: identity, approvals, gates, checklist, findings, launch, reports."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import WEBSHOP
from tests.support.cli import run_infragate

ADMIN = "ada.admin@example.com"
LEAD, SECURITY, INFRA = "lena.lead@example.com", "sam.sec@example.com", "ivan.infra@example.com"


def infragate(home: Path, *args: str, user: str = "") -> subprocess.CompletedProcess[str]:
    return run_infragate(home, *args, user=user)


def test_a_project_through_the_design_gate_with_reports(tmp_path: Path) -> None:
    design = ("-d", str(WEBSHOP))
    init = infragate(tmp_path, "project", "init", *design)
    assert init.returncode == 0 and "+ lena.lead@example.com as lead" in init.stdout
    assert "project members apply" in init.stdout, "owners are a proposal until someone applies them"
    assert infragate(tmp_path, "whoami", user=LEAD).returncode == 1, "proposed, not yet a member"
    assert infragate(tmp_path, "admin", "create", ADMIN).returncode == 0
    seated = infragate(tmp_path, "project", "members", "apply", *design, user=ADMIN)
    assert seated.returncode == 0 and "memberships applied" in seated.stdout
    assert "webshop (Acme Retail)" in infragate(tmp_path, "project", "list").stdout

    assert infragate(tmp_path, "whoami").returncode == 2, "no INFRAGATE_USER: infragate says who it needs"
    whoami = infragate(tmp_path, "whoami", user=LEAD)
    assert whoami.stdout.strip() == f"{LEAD}: webshop: lead" and "not authenticated" in whoami.stderr

    gates = json.loads(infragate(tmp_path, "gate", "check", "--env", "production", *design, "-f", "json").stdout)
    assert gates["stage"] == "design"
    design_gate = {c["criterion"]: c["met"] for c in gates["criteria"] if c["stage"] == "design"}
    assert design_gate == {
        "the design passes every policy rule (or the failure is waived)": True,
        "only approved AWS services, or an approver named for each other one": True,
        "documented: design docs generated from this exact digest": False,
        "approved by a lead (this exact design digest)": False,
        "reviewed by security (this exact design digest)": False,
    }
    refused = infragate(tmp_path, "approve", "design", "--env", "production", *design, user=INFRA)
    assert refused.returncode == 2 and "may not review a design" in refused.stderr
    assert (
        infragate(tmp_path, "approve", "design", "--env", "production", *design, "-m", "ok", user=LEAD).returncode == 0
    )
    assert infragate(tmp_path, "approve", "design", "--env", "production", *design, user=SECURITY).returncode == 0
    docs = infragate(tmp_path, "design", "docs", str(WEBSHOP), "--env", "production")
    assert docs.returncode == 0, docs.stderr
    table = infragate(tmp_path, "gate", "check", "--env", "production", *design)
    assert table.returncode == 1 and "current stage provisioning" in table.stdout

    signed = infragate(
        tmp_path, "checklist", "sign", "on-call-tested", "--env", "production", *design, "-m", "paged", user=INFRA
    )
    assert signed.returncode == 0
    checklist = infragate(tmp_path, "checklist", "show", "--env", "production", *design)
    assert checklist.returncode == 1 and "signed by ivan.infra@example.com" in checklist.stdout

    launch = infragate(tmp_path, "launch", "--env", "production", *design, user=LEAD)
    assert launch.returncode == 1 and "cannot launch" in launch.stderr and "ICP-2.1" in launch.stderr
    log = infragate(tmp_path, "audit-log", "verify")
    assert log.returncode == 0, "a refused launch is still evidence, and the chain stays whole"

    report = json.loads(infragate(tmp_path, "report", "--env", "production", *design, "-f", "json", "-o", "-").stdout)
    default = infragate(tmp_path, "report", "--env", "production", *design)
    written = tmp_path / "reports" / "webshop-production.html"
    assert default.returncode == 0 and f"report: {written}" in default.stdout and "<html" not in default.stdout
    assert "may not launch" in written.read_text()
    assert report["stage"] == "provisioning" and not report["summary"]["may_launch"]
    assert {c["id"] for c in report["clauses"]} >= {"ICP-1.4", "ICP-4.2", "ICP-6.1"}
    approvals = {(a["subject"], a["by"]) for a in report["approvals"]}
    assert approvals == {("design", LEAD), ("design-review", SECURITY)}
    clause = {c["id"]: c["status"] for c in report["clauses"]}
    assert clause["ICP-1.4"] == "met" and clause["ICP-2.1"] == "unmet" and clause["ICP-6.1"] == "met"

    html_path, pdf_path = tmp_path / "report.html", tmp_path / "report.pdf"
    assert infragate(tmp_path, "report", "--env", "production", *design, "-o", str(html_path)).returncode == 0
    html = html_path.read_text()
    assert "may not launch" in html and all(c in html for c in ("ICP-1.1", "ICP-4.2", "ICP-6.1"))
    assert (
        infragate(tmp_path, "report", "--env", "production", *design, "-f", "pdf", "-o", str(pdf_path)).returncode == 0
    )
    pdf = pdf_path.read_bytes()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF") and len(pdf) > 10_000

    verified = infragate(tmp_path, "audit-log", "verify")
    # project registered, design approved and reviewed, docs recorded, checklist item signed
    # 5 decisions, plus 2 refusals (an infra approval, a launch before the gates hold): refusals are evidence;
    # before them, the admin's creation and the 5 memberships the admin applied from the design's owners, and
    # the 2 pentest engagements the design requests (one per environment) opened when it was registered
    assert verified.returncode == 0 and "intact: 15 entries" in verified.stdout, verified.stdout


def test_admins_manage_users_and_members_and_may_act_as_others(tmp_path: Path) -> None:
    assert infragate(tmp_path, "user", "add", "root", "--admin", user="root").returncode == 2, "no self-made admin"
    assert infragate(tmp_path, "admin", "create", "root").returncode == 0
    assert infragate(tmp_path, "user", "add", "eve", user="nobody").returncode == 2
    assert infragate(tmp_path, "user", "add", "ops", user="root").returncode == 0
    design = ("-d", str(WEBSHOP))
    infragate(tmp_path, "project", "init", *design)
    granted = infragate(tmp_path, "project", "members", "add", "ops", "--role", "infra", *design, user="root")
    assert granted.returncode == 0, granted.stderr
    assert "ops: webshop: infra" in infragate(tmp_path, "user", "list").stdout
    by_lead = infragate(tmp_path, "project", "members", "add", "eve", "--role", "security", *design, user=LEAD)
    assert by_lead.returncode == 2, "by hand, members are an admin's to change"

    assert infragate(tmp_path, "project", "members", "apply", *design, user="root").returncode == 0
    as_lead = infragate(tmp_path, "approve", "design", "--env", "staging", *design, "--as", LEAD, user="root")
    assert as_lead.returncode == 0, as_lead.stderr
    not_admin = infragate(tmp_path, "approve", "design", "--env", "staging", *design, "--as", LEAD, user=INFRA)
    assert not_admin.returncode == 2 and "may not act as another user" in not_admin.stderr
    verified = infragate(tmp_path, "audit-log", "verify")
    assert verified.returncode == 0 and "signature checks out" in " ".join(verified.stdout.split())


def test_bad_formats_and_unwritable_docs_are_clear_errors(tmp_path: Path) -> None:
    design = ("-d", str(WEBSHOP))
    for args in (
        ("gate", "check", "--env", "staging", *design, "-f", "xml"),
        ("findings", "list", *design, "-f", "csv"),
    ):
        result = infragate(tmp_path, *args)
        assert result.returncode == 2 and "--format is" in result.stderr, args
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("x")
    docs = infragate(tmp_path, "design", "docs", str(WEBSHOP), "--out", str(blocked / "docs"))
    assert docs.returncode == 2 and "cannot write design docs" in docs.stderr and "Traceback" not in docs.stderr
