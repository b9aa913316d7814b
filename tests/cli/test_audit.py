"""``infragate audit`` as a user runs it: a real process against the session's embedded AWS daemon."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import jsonschema
import pytest
import yaml

from infragate.aws import AwsConnection, EmbeddedAws
from tests.conftest import SCHEMAS, WEBSHOP
from tests.support import account


def audit(embedded: EmbeddedAws, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``infragate audit`` with INFRAGATE_HOME pointing at the daemon the fixtures populate."""
    environment = {**os.environ, "INFRAGATE_HOME": str(embedded.home), "COLUMNS": "200", **env}
    return subprocess.run(
        [sys.executable, "-m", "infragate", "audit", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=environment,
    )


@pytest.fixture
def insecure_account(aws: AwsConnection) -> AwsConnection:
    """An account with an unprotected public web server, SSH open to the world and a public bucket."""
    network = account.network(aws)
    group = account.security_group(aws, network.vpc, "web", (22,))
    (instance,) = account.instances(aws, 1, network.public_subnet, (group,))
    account.elastic_ip(aws, instance)
    account.bucket(aws, "leaky-assets", public_policy=True)
    return aws


def test_an_empty_embedded_account_passes_and_says_it_is_embedded(aws: AwsConnection, embedded: EmbeddedAws) -> None:
    result = audit(embedded, "--region", "eu-west-1")
    assert result.returncode == 0, result.stderr
    assert "Auditing embedded AWS at http://127.0.0.1:" in result.stderr
    assert "0 fail, 0 error" in result.stderr
    assert "✓ ec2" in result.stderr and "✓ shield" in result.stderr


def test_failing_findings_exit_one_with_a_summary_by_service(
    insecure_account: AwsConnection, embedded: EmbeddedAws
) -> None:
    result = audit(embedded, "--region", "eu-west-1")
    assert result.returncode == 1, result.stderr
    assert "SHD-006" in result.stdout and "NET-002" in result.stdout and "S3-005" in result.stdout
    assert "Summary by service" in result.stdout
    summary = result.stdout.split("Summary by service", 1)[1]
    assert all(service in summary for service in ("ec2", "s3", "shield"))
    assert audit(embedded, "--region", "eu-west-1", "--fail-on", "none").returncode == 0


def test_machine_formats_are_valid(insecure_account: AwsConnection, embedded: EmbeddedAws, tmp_path: Path) -> None:
    sarif_path = tmp_path / "audit.sarif"
    assert audit(embedded, "-r", "eu-west-1", "-f", "sarif", "-o", str(sarif_path)).returncode == 1
    sarif = json.loads(sarif_path.read_text())
    jsonschema.validate(sarif, json.loads((SCHEMAS / "sarif-2.1.0.schema.json").read_text()))
    results = sarif["runs"][0]["results"]
    shd = [r for r in results if r["ruleId"] == "SHD-006"]
    assert shd and shd[0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].startswith("arn:aws:ec2:")
    assert "physicalLocation" not in shd[0]["locations"][0], "no design file, so no made-up file location"

    rows = list(csv.DictReader(io.StringIO(audit(embedded, "-r", "eu-west-1", "-f", "csv").stdout)))
    leaky = [row for row in rows if row["rule_id"] == "S3-005"]
    assert [(r["status"], r["service"], r["resource"]) for r in leaky] == [("fail", "s3", "leaky-assets")]

    junit = ElementTree.fromstring(audit(embedded, "-r", "eu-west-1", "-f", "junit").stdout)
    assert int(junit.get("failures", "0")) >= 3

    document = json.loads(audit(embedded, "-r", "eu-west-1", "-f", "json").stdout)
    assert document["command"] == "audit" and "embedded AWS" in document["source"]["description"]
    assert {f["service"] for f in document["findings"]} >= {"ec2", "s3", "shield"}


def test_env_audits_only_the_project_and_points_at_the_design(aws: AwsConnection, embedded: EmbeddedAws) -> None:
    account.bucket(aws, "webshop-prod-assets", account.project_tags("webshop", "production", "assets"))
    account.bucket(aws, "someone-elses-bucket")
    result = audit(embedded, "--env", "production", "--design", str(WEBSHOP), "-f", "json")
    document = json.loads(result.stdout)
    assert "project webshop, environment production" in result.stderr
    s3_components = {
        f["component"] for f in document["findings"] if f["kind"] == "bucket" and f["rule_id"] != "INV-002"
    }
    assert s3_components == {"assets"}
    missing = {f["component"] for f in document["findings"] if f["rule_id"] == "INV-002" and f["status"] == "fail"}
    assert {"logs", "web", "orders-db", "cdn"} <= missing and "assets" not in missing
    assert result.returncode == 1, "a partly provisioned environment never audits clean"
    located = [f for f in document["findings"] if f["rule_id"] == "S3-001"]
    assert located[0]["location"]["file"] == str(WEBSHOP) and located[0]["resource"] == "webshop-prod-assets"


def test_wrong_flags_are_usage_errors(embedded: EmbeddedAws) -> None:
    for args in (
        ("--scope", "project"),
        ("--env", "production", "--endpoint", "http://127.0.0.1:1"),
        ("--env", "production", "--region", "eu-west-1"),
        ("--scope", "everything"),
        ("--endpoint", "127.0.0.1:4566"),
        ("--format", "pdf"),
    ):
        result = audit(embedded, *args, "--design", str(WEBSHOP))
        assert result.returncode == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_an_unreachable_endpoint_exits_three_with_a_clear_message(embedded: EmbeddedAws) -> None:
    result = audit(embedded, "--endpoint", "http://127.0.0.1:9", INFRAGATE_AWS_MAX_ATTEMPTS="1")
    assert result.returncode == 3
    assert "cannot be reached" in result.stderr and "Traceback" not in result.stderr


def test_a_real_account_without_credentials_fails_instead_of_falling_back(
    embedded: EmbeddedAws, tmp_path: Path
) -> None:
    data = yaml.safe_load(WEBSHOP.read_text())
    data["environments"]["production"]["aws"] = {"account_id": "123456789012", "profile": "webshop-prod"}
    design = tmp_path / "infragate.yaml"
    design.write_text(yaml.safe_dump(data))
    result = audit(
        embedded,
        "--env",
        "production",
        "-d",
        str(design),
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    assert result.returncode == 3, result.stderr
    assert "webshop-prod" in result.stderr and "embedded" not in result.stderr.split("hint")[0]
