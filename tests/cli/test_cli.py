"""The infragate command as a user runs it: real process, real exit codes, no tracebacks, no partial files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import INSECURE, WEBSHOP
from tests.support.cli import run_infragate


def infragate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infragate", *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_compliant_design_exits_zero() -> None:
    result = infragate("design", "validate", str(WEBSHOP))
    assert result.returncode == 0, result.stderr
    assert "0 fail" in result.stderr


def test_failing_findings_exit_one_unless_below_threshold() -> None:
    assert infragate("design", "validate", str(INSECURE)).returncode == 1
    assert infragate("design", "validate", str(INSECURE), "--fail-on", "critical").returncode == 1
    assert infragate("design", "validate", str(INSECURE), "--fail-on", "none").returncode == 0


def test_bad_design_exits_two_with_located_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("project: {name: x1, client: c}\nenvironments: {dev: {}}\nnetwork: {vpc_cidr: nope}\n")
    result = infragate("design", "validate", str(bad))
    assert result.returncode == 2
    assert f"{bad}:3:21: network.vpc_cidr:" in result.stderr
    assert f"{bad}:3:1: network.availability_zones: required field" in result.stderr
    assert "Traceback" not in result.stderr


def test_yaml_syntax_error_exits_two(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("project:\n  name: [unclosed\n")
    result = infragate("design", "validate", str(bad))
    assert result.returncode == 2
    assert "YAML syntax error" in result.stderr and f"{bad}:" in result.stderr
    assert "Traceback" not in result.stderr


def test_report_written_to_a_file_is_complete(tmp_path: Path) -> None:
    target = tmp_path / "design.sarif"
    result = infragate("design", "validate", str(INSECURE), "--format", "sarif", "--output", str(target))
    assert result.returncode == 1
    assert json.loads(target.read_text())["version"] == "2.1.0"
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == [target]


def test_unwritable_output_fails_cleanly_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "out.json"
    result = infragate("design", "validate", str(WEBSHOP), "-f", "json", "-o", str(target))
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr
    assert not target.parent.exists()


def test_wrong_flag_and_wrong_choice_exit_two() -> None:
    unknown = infragate("design", "validate", str(WEBSHOP), "--bogus")
    assert unknown.returncode == 2 and "No such option" in unknown.stderr
    choice = infragate("design", "validate", str(WEBSHOP), "--fail-on", "severe")
    assert choice.returncode == 2 and "severe" in choice.stderr


def test_unknown_environment_suggests_one() -> None:
    result = infragate("design", "validate", str(WEBSHOP), "--env", "prod")
    assert result.returncode == 2
    assert "Did you mean 'production'?" in result.stderr


def test_missing_file_exits_two() -> None:
    result = infragate("design", "validate", "does/not/exist.yaml")
    assert result.returncode == 2 and "no such design file" in result.stderr


def test_schema_and_rules_list() -> None:
    schema = json.loads(infragate("design", "schema").stdout)
    assert {"project", "environments", "network", "compute"} <= set(schema["properties"])
    rules = json.loads(infragate("rules", "list", "--format", "json").stdout)
    assert len(rules) >= 30 and all(rule["clause"].startswith("ICP-") for rule in rules)
    shield = json.loads(infragate("rules", "list", "-f", "json", "--clause", "ICP-4.2").stdout)
    assert {rule["id"] for rule in shield} == {"SHD-001", "SHD-002", "SHD-003", "SHD-004", "SHD-005", "SHD-006"}
    live_only = json.loads(infragate("rules", "list", "-f", "json", "--judges", "live").stdout)
    assert {"SHD-006", "S3-005", "INV-001"} <= {rule["id"] for rule in live_only}
    assert not {rule["id"] for rule in live_only} & {"GOV-001", "NET-006", "WVR-001"}


def test_help_teaches() -> None:
    result = infragate("design", "validate", "--help")
    assert result.returncode == 0
    assert "--fail-on" in result.stdout and "Examples" in result.stdout


def test_an_infragate_home_that_is_a_file_is_a_usage_error(tmp_path: Path) -> None:
    home = tmp_path / "not-a-folder"
    home.write_text("")
    result = run_infragate(home, "project", "list")
    assert result.returncode == 2 and "is a file, not a directory" in result.stderr
    nested = run_infragate(home / "sub", "aws-local", "status")
    assert nested.returncode == 2 and "cannot be created" in nested.stderr


def test_state_does_not_depend_on_the_directory_and_the_design_is_found(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_infragate(home, "project", "init", "-d", str(WEBSHOP)).returncode == 0
    inside = WEBSHOP.parent
    # From the example's own folder: its infragate.yaml is found, and the same store answers.
    found = subprocess.run(
        [sys.executable, "-m", "infragate", "project", "status"],
        cwd=inside,
        capture_output=True,
        text=True,
        env={**os.environ, "INFRAGATE_HOME": str(home), "COLUMNS": "200"},
        check=False,
        timeout=60,
    )
    assert found.returncode == 0 and "staging" in found.stdout, found.stderr
    # From anywhere else: by the registered project's name, and it says which design it used.
    named = subprocess.run(
        [sys.executable, "-m", "infragate", "project", "status", "--project", "webshop"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "INFRAGATE_HOME": str(home), "COLUMNS": "200"},
        check=False,
        timeout=60,
    )
    assert named.returncode == 0 and f"design: {WEBSHOP}" in named.stderr, named.stderr
    lost = subprocess.run(
        [sys.executable, "-m", "infragate", "project", "status"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "INFRAGATE_HOME": str(home)},
        check=False,
        timeout=60,
    )
    assert lost.returncode == 2 and "no infragate.yaml" in lost.stderr and "--project" in lost.stderr


def test_the_default_home_is_the_users_data_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    from infragate.settings import default_home, load_settings

    monkeypatch.delenv("INFRAGATE_HOME")
    assert load_settings().home == default_home() and default_home().name == "infragate"
    assert not str(default_home()).startswith(str(Path.cwd()))
