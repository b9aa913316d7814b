"""`infragate cicd` as a user runs it: init (and its refusal to overwrite), check, and the mistakes people make."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import WEBSHOP
from tests.support.cli import run_infragate

DEV = "dara.dev@example.com"


def test_init_then_check_a_repository(tmp_path: Path) -> None:
    home = tmp_path / "home"
    made = run_infragate(home, "cicd", "init", "--repo", str(tmp_path), "-d", str(WEBSHOP))
    assert made.returncode == 0 and "wrote" in made.stdout
    config = tmp_path / ".circleci" / "config.yml"
    config.write_text(config.read_text().replace("only:\n                - main", "only:\n                - /.*/"))
    kept = run_infragate(home, "cicd", "init", "--repo", str(tmp_path), "-d", str(WEBSHOP))
    assert kept.returncode == 1 and "+                - main" in kept.stdout and "--force" in kept.stderr
    checked = run_infragate(home, "cicd", "check", "--env", "staging", "--repo", str(tmp_path), "-d", str(WEBSHOP),
                            "--format", "json")  # fmt: skip
    assert checked.returncode == 1, checked.stderr
    report = json.loads(checked.stdout)
    assert {p["check"] for p in report["problems"]} == {"CICD-003"}
    assert report["not_evaluated"] == [{"part": "github", "because": "INFRAGATE_GITHUB_TOKEN is not set"}]
    findings = run_infragate(home, "findings", "list", "--env", "staging", "-d", str(WEBSHOP), "--format", "json",
                             user=DEV)  # fmt: skip
    assert "CICD-003" in findings.stdout  # the problems are ICP-3.1 findings of the environment


def test_mistakes_get_a_clear_message_and_exit_2(tmp_path: Path) -> None:
    home = tmp_path / "home"
    missing = run_infragate(home, "cicd", "init", "--repo", str(tmp_path / "nope"), "-d", str(WEBSHOP))
    assert missing.returncode == 2 and "is not a directory" in missing.stderr
    no_github = run_infragate(home, "cicd", "apply-github", "--dry-run", "-d", str(WEBSHOP))
    assert no_github.returncode == 2 and "INFRAGATE_GITHUB_TOKEN" in no_github.stderr
    bad_format = run_infragate(home, "cicd", "check", "--env", "staging", "-f", "xml", "-d", str(WEBSHOP))
    assert bad_format.returncode == 2 and "--format is 'xml'" in bad_format.stderr
    misspelt = tmp_path / "misspelt.yaml"
    misspelt.write_text(WEBSHOP.read_text().replace("  repository:\n", "  repositry:\n"))
    located = run_infragate(home, "cicd", "init", "--repo", str(tmp_path), "-d", str(misspelt))
    assert located.returncode == 2 and "did you mean 'repository'" in located.stderr
    text = WEBSHOP.read_text()
    block = text[text.index("  # ICP-3.1: the repository") : text.index("\nenvironments:\n")]
    no_repo = tmp_path / "plain.yaml"
    no_repo.write_text(text.replace(block, "\n"))
    plain = run_infragate(home, "cicd", "init", "--repo", str(tmp_path), "-d", str(no_repo))
    assert plain.returncode == 2 and "names no repository" in plain.stderr and "project.repository" in plain.stderr
