"""``infragate run`` end to end on embedded AWS, from an empty home: it stops for the lead's approval,
then runs every automated stage, and a second run finds nothing to change."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from infragate.aws import AwsConnection, EmbeddedAws
from tests.support.cli import run_infragate
from tests.support.workloads import example_design


def infragate(embedded: EmbeddedAws, *args: str, user: str = "") -> subprocess.CompletedProcess[str]:
    return run_infragate(embedded.home, *args, user=user)


def test_run_stops_for_a_person_then_goes_through_every_automated_stage(
    aws: AwsConnection, embedded: EmbeddedAws, seated: None, tmp_path: Path
) -> None:
    design = example_design(tmp_path)  # the example, its workload pinned to free ports
    try:
        _run_the_example(aws, embedded, design)
    finally:
        infragate(embedded, "workload", "stop", "--env", "staging", "-d", str(design))


def _run_the_example(aws: AwsConnection, embedded: EmbeddedAws, design: Path) -> None:
    first = infragate(embedded, "run", str(design), "--env", "staging")
    assert first.returncode == 1, first.stderr
    assert "the lead role must act: approved by a lead" in first.stderr
    assert "design gate" in first.stdout and "stopped" in first.stdout and "report:" in first.stdout

    approved = infragate(
        embedded, "approve", "design", "--env", "staging", "-d", str(design), user="lena.lead@example.com"
    )
    assert approved.returncode == 0, approved.stderr
    second = infragate(embedded, "run", str(design), "--env", "staging")
    assert second.returncode == 0, second.stderr
    for step in ("validate", "docs", "plan", "apply", "verify", "audit", "workload", "test", "stress"):
        assert step in second.stdout
    assert "stage now deployment-testing" in second.stdout
    assert "next: developer: the last deployment" in second.stderr  # ICP-3.1: through the pipeline, next
    gates = infragate(embedded, "gate", "check", "--env", "staging", "-d", str(design), "--format", "json")
    icp_3_2 = next(
        c
        for c in [c for c in json.loads(gates.stdout)["criteria"] if c["stage"] == "deployment-testing"]
        if c["clause"] == "ICP-3.2"
    )
    assert icp_3_2["met"] and "checks passed" in icp_3_2["detail"]  # on evidence: the example's workload tested
    icp_3_3 = next(
        c
        for c in [c for c in json.loads(gates.stdout)["criteria"] if c["stage"] == "deployment-testing"]
        if c["clause"] == "ICP-3.3"
    )
    assert icp_3_3["met"] and "every SLO met" in icp_3_3["detail"]  # and stress-tested at its peak

    third = infragate(embedded, "run", str(design), "--env", "staging")
    assert third.returncode == 0 and "nothing to change" in third.stdout
    report = embedded.home / "reports" / "webshop-staging.html"
    docs = embedded.home / "docs" / "webshop" / "index.html"
    assert report.is_file() and docs.is_file()
    page = docs.read_text()
    assert "staging-network.svg" in page and "production-network.svg" in page, "run --env keeps every environment"

    # A violation verify cannot see (it compares the design's attributes) but the audit judges: a public policy.
    statement = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::*/*"}
    bucket = next(b["Name"] for b in aws.call("s3", "list_buckets")["Buckets"] if "-assets-" in b["Name"])
    aws.call("s3", "put_bucket_policy", Bucket=bucket, Policy=json.dumps({"Statement": [statement]}))
    fourth = infragate(embedded, "run", str(design), "--env", "staging")
    assert fourth.returncode == 1, fourth.stdout
    audit_row = next(line for line in fourth.stdout.splitlines() if "audit" in line)
    assert "stopped" in audit_row and "ok" not in audit_row.split("audit", 1)[1].split()[0]
    assert "security role must act: review" in fourth.stderr
