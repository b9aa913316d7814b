"""The example's walkthrough, run as a new user would run it: the webshop carried from design to launch in
team mode (server, worker, workloads, fake GitHub and CircleCI), every decision made by the person whose role
it is, through the server, and every gate met by evidence."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import WEBSHOP
from tests.support.servers import free_port

SCRIPT = WEBSHOP.parent / "walkthrough.sh"
LEAD, SECURITY, INFRA = "lena.lead@example.com", "sam.sec@example.com", "ivan.infra@example.com"


def design_on_free_ports(folder: Path) -> tuple[Path, list[int]]:
    """The example, its workloads pinned to free ports (the fixed ones may be in use on a developer's machine)."""
    data = yaml.safe_load(WEBSHOP.read_text())
    ports = []
    for environment in ("staging", "production"):
        https, http = free_port(), free_port()
        for endpoint in data["environments"][environment]["endpoints"]:
            endpoint |= {"resolve": f"127.0.0.1:{https}", "resolve_http": f"127.0.0.1:{http}"}
        ports.append(https)
    folder.mkdir(parents=True)
    (folder / "app").symlink_to(WEBSHOP.parent / "app")
    (folder / "infragate.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return folder / "infragate.yaml", ports


def test_the_walkthrough_launches_staging_and_production_with_every_clause_met(tmp_path: Path) -> None:
    work = tmp_path / "walkthrough"
    design, ports = design_on_free_ports(tmp_path / "design")
    # a new user's shell: none of the tests' INFRAGATE_ settings, only where the tools are kept
    environment = {k: v for k, v in os.environ.items() if not k.startswith("INFRAGATE_") or k == "INFRAGATE_TOOLS"}
    environment |= {
        "WALKTHROUGH_DIR": str(work),
        "WALKTHROUGH_DESIGN": str(design),
        "INFRAGATE_BIN": str(Path(sys.executable).parent),
    }
    done = subprocess.run(
        ["bash", str(SCRIPT)], capture_output=True, text=True, timeout=600, check=False, env=environment
    )
    said = done.stdout + done.stderr
    assert done.returncode == 0, said[-4000:]
    assert "GitHub and CircleCI are FAKE servers" in said  # it says who stands in for the SaaS parties
    assert "staging launched" in said and "production launched" in said

    report = json.loads((work / "production-report.json").read_text())
    assert report["stage"] == "launched" and report["summary"]["may_launch"] is True
    assert {c["status"] for c in report["clauses"]} == {"met"} and len(report["clauses"]) == 21
    assert report["attestation"] == "server: people authenticated"
    assert "audit log intact" in said and "last signed checkpoint" in said
    assert "production: launched" in said and "staging: launched" in said  # the portfolio

    # every decision was made by the person whose role it is, authenticated by the server
    with sqlite3.connect(work / "server" / "infragate.db") as db:
        decisions = {(action, subject): actor for actor, action, subject in db.execute(
            "SELECT actor, action, subject FROM audit_log")}  # fmt: skip
    assert decisions[("launched", "webshop/production")] == LEAD
    assert decisions[("plan-approved", "webshop/production")] == LEAD
    assert decisions[("stress-plan-approved", "webshop/production")] == LEAD
    assert decisions[("design-review-approved", "webshop/production")] == SECURITY
    assert decisions[("pentest-closed", "webshop/production")] == SECURITY
    assert decisions[("checklist-signed", "webshop/production/on-call-tested")] == INFRA

    for port in ports:  # everything it started is stopped: the workloads' ports are free again
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0
