"""`infragate compliance`: the frameworks, a framework's report in every format (exit 1 until it holds), and
security's signatures on manual requirements, with an attachment kept by its SHA-256."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

from tests.conftest import WEBSHOP
from tests.support.cli import run_infragate
from tests.support.people import ADMIN

SECURITY, DEV = "sam.sec@example.com", "dara.dev@example.com"
D = ("-d", str(WEBSHOP))


def test_reports_in_every_format_and_signatures_by_security_only(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_infragate(home, "admin", "create", ADMIN).returncode == 0
    assert run_infragate(home, "project", "init", *D, "--apply-members", user=ADMIN).returncode == 0
    listed = run_infragate(home, "compliance", "frameworks")
    assert listed.returncode == 0 and all(f in listed.stdout for f in ("cis-aws", "pci-dss-4", "hipaa-security"))

    report = ("compliance", "report", "--env", "staging", "--framework", "cis-aws", *D)
    shown = run_infragate(home, *report, user=SECURITY)
    assert shown.returncode == 1 and "cis-aws: does not hold: 3 manual, 7 not evaluated" in shown.stderr
    as_json = run_infragate(home, *report, "--format", "json", "-o", "-", user=SECURITY)
    data = json.loads(as_json.stdout)
    assert as_json.returncode == 1 and data["holds"] is False and data["chosen"] is True
    verdicts = {r["id"]: r["verdict"] for r in data["requirements"]}
    assert verdicts["2.1.4"] == "not evaluated" and verdicts["5.4"] == "manual"  # never audited: not a pass
    rows = list(csv.DictReader(io.StringIO(run_infragate(home, *report, "-f", "csv", "-o", "-").stdout)))
    assert [row["requirement"] for row in rows] == list(verdicts) and rows[0]["framework"] == "cis-aws"
    html = tmp_path / "cis.html"
    assert run_infragate(home, *report, "-f", "html", "-o", str(html)).returncode == 1
    assert "CIS AWS Foundations Benchmark" in html.read_text() and "does not hold" in html.read_text()
    pdf = tmp_path / "cis.pdf"
    assert run_infragate(home, *report, "-f", "pdf", "-o", str(pdf)).returncode == 1
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert run_infragate(home, *report, "-f", "pdf").returncode == 2  # a PDF goes to a file
    unchosen = run_infragate(home, "compliance", "report", "--env", "staging", "--framework", "soc2", *D)
    assert "not chosen by the design" in unchosen.stderr  # shown on request all the same
    unknown = run_infragate(home, "compliance", "report", "--env", "staging", "--framework", "iso27001", *D)
    assert unknown.returncode == 2 and "there is no framework 'iso27001'" in unknown.stderr

    evidence = tmp_path / "default-sg.txt"
    evidence.write_text("the default security group has no rules\n")
    sign = ("compliance", "sign", "5.4", "--env", "staging", "--framework", "cis-aws", *D, "-m", "checked")
    refused = run_infragate(home, *sign, user=DEV)
    assert refused.returncode == 2 and "signed by the security role" in refused.stderr
    signed = run_infragate(home, *sign, "--attach", str(evidence), user=SECURITY)
    digest = hashlib.sha256(evidence.read_bytes()).hexdigest()
    assert signed.returncode == 0 and f"attachment sha256 {digest}" in signed.stdout
    assert (home / "attachments" / digest).read_bytes() == evidence.read_bytes()
    automated = ("compliance", "sign", "2.1.4", "--env", "staging", "--framework", "cis-aws", *D, "-m", "x")
    assert "judged by evidence, not signed" in run_infragate(home, *automated, user=SECURITY).stderr
    after = json.loads(run_infragate(home, *report, "-f", "json", "-o", "-").stdout)
    (line,) = [r for r in after["requirements"] if r["id"] == "5.4"]
    assert line["verdict"] == "pass" and "signed by sam.sec@example.com" in line["evidence"][0] and line["at"]
    checklist = run_infragate(home, "checklist", "sign", "compliance", "--env", "staging", *D, "-m", "x", user=SECURITY)
    assert checklist.returncode == 2 and "met by evidence, not signed" in checklist.stderr  # ICP-5.3 is automatic
