"""plan / apply / verify / destroy / approve as a user runs them, against the session's embedded AWS."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from infragate.aws import AwsConnection, EmbeddedAws
from tests.conftest import WEBSHOP
from tests.support import account
from tests.support.cli import run_infragate


def infragate(embedded: EmbeddedAws, *args: str, user: str = "") -> subprocess.CompletedProcess[str]:
    return run_infragate(embedded.home, *args, user=user)


def test_plan_apply_verify_destroy_on_staging(aws: AwsConnection, embedded: EmbeddedAws) -> None:
    design = ("--env", "staging", "-d", str(WEBSHOP))
    planned = infragate(embedded, "plan", *design, "--format", "json")
    assert planned.returncode == 1, planned.stderr  # changes pending
    document = json.loads(planned.stdout)
    assert {c["action"] for c in document["changes"]} == {"create", "update"}  # shield: update the account's
    assert document["digest"].startswith("sha256:")

    assert infragate(embedded, "verify", *design).returncode == 1
    applied = infragate(embedded, "apply", *design, "--auto-approve")
    assert applied.returncode == 0, applied.stderr
    assert "not supported" not in applied.stdout + applied.stderr, "embedded AWS applies every change"
    verified = infragate(embedded, "verify", *design, "--format", "json")
    assert verified.returncode == 0, verified.stderr
    report = json.loads(verified.stdout)
    assert report["aligned"] and {c["alignment"] for c in report["components"]} == {"matches"}
    assert report["shield"]["uncovered"] == [] and len(report["shield"]["public_instances"]) == 2
    assert infragate(embedded, "plan", *design).returncode == 0, "nothing left to change"

    refused = infragate(embedded, "destroy", *design)
    assert refused.returncode == 2 and "--yes" in refused.stderr, "no prompt without a terminal, no silent delete"
    destroyed = infragate(embedded, "destroy", *design, "--yes")
    assert destroyed.returncode == 0, destroyed.stderr
    again = infragate(embedded, "destroy", *design, "--yes")
    assert again.returncode == 0 and "Nothing to destroy" in again.stderr


def test_production_needs_a_plan_approved_by_a_lead(
    aws: AwsConnection, embedded: EmbeddedAws, tmp_path: Path, seated: None
) -> None:
    design = ("--env", "production", "-d", str(WEBSHOP))
    unapproved = infragate(embedded, "apply", *design, "--auto-approve")
    assert unapproved.returncode == 2 and "requires an approved plan" in unapproved.stderr

    plan_file = tmp_path / "plan.json"
    assert infragate(embedded, "plan", *design, "--out", str(plan_file)).returncode == 1
    waiting = infragate(embedded, "apply", *design, "--plan", str(plan_file), "--auto-approve")
    assert waiting.returncode == 2 and "has not been approved" in waiting.stderr

    not_a_lead = infragate(embedded, "approve", "plan", str(plan_file), "-d", str(WEBSHOP), user="sam.sec@example.com")
    assert not_a_lead.returncode == 2 and "may not approve a plan" in not_a_lead.stderr
    stranger = infragate(embedded, "approve", "plan", str(plan_file), "-d", str(WEBSHOP), user="mallory")
    assert stranger.returncode == 2 and "not a user of infragate" in stranger.stderr
    replanned = json.loads(infragate(embedded, "plan", *design, "--format", "json").stdout)
    assert replanned["digest"] == json.loads(plan_file.read_text())["digest"], "same design and live state"
    approved = infragate(embedded, "approve", "plan", str(plan_file), "-d", str(WEBSHOP), user="lena.lead@example.com")
    assert approved.returncode == 0, approved.stderr
    applied = infragate(embedded, "apply", *design, "--plan", str(plan_file), "--auto-approve")
    assert applied.returncode == 0, applied.stderr
    assert "Approved by lena.lead@example.com (lead)" in applied.stderr

    second = tmp_path / "second.json"
    infragate(embedded, "plan", *design, "--out", str(second))
    account.bucket(aws, "changed-underneath", account.project_tags("webshop", "production", "extra"))
    stale = infragate(embedded, "apply", *design, "--plan", str(second), "--auto-approve")
    assert stale.returncode == 2 and "stale" in stale.stderr, stale.stderr


def test_a_tampered_plan_is_refused(embedded: EmbeddedAws, tmp_path: Path, aws: AwsConnection) -> None:
    plan_file = tmp_path / "plan.json"
    infragate(embedded, "plan", "--env", "staging", "-d", str(WEBSHOP), "--out", str(plan_file))
    data = json.loads(plan_file.read_text())
    data["changes"] = data["changes"][:1]
    plan_file.write_text(json.dumps(data))
    result = infragate(embedded, "apply", "--env", "staging", "-d", str(WEBSHOP), "--plan", str(plan_file))
    assert result.returncode == 2 and "edited after it was written" in result.stderr
