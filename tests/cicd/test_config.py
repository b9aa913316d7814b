"""The generated CircleCI config (valid against CircleCI's schema, and passing its own check), and the check:
for each expectation the case that must fail, the variant a literal reading misses, and the decoy."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from infragate.cicd import config_gen
from infragate.cicd.config_check import check_config
from infragate.cicd.stages import Environments
from infragate.design import load_design
from infragate.model.delivery import Repository
from infragate.workflow.cicd_work import init_config
from tests.conftest import SCHEMAS, WEBSHOP

SCHEMA = json.loads((SCHEMAS / "circleci-config.schema.json").read_text())
REPO = Repository(github="acme/webshop")
ENVS = Environments(staging=("staging",), production=("production",))


def generated() -> dict[str, Any]:
    return copy.deepcopy(config_gen.config(REPO, ENVS))


def checks(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p.check, p.severity) for p in check_config(yaml.safe_dump(doc), REPO, ENVS)]


def entry(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """A workflow job invocation's attributes, found by its name."""
    for item in doc["workflows"]["policy"]["jobs"]:
        if isinstance(item, dict):
            ((job, attrs),) = item.items()
            if attrs.get("name", job) == name:
                return dict(attrs)
    raise KeyError(name)


@pytest.mark.parametrize(
    "envs",
    [ENVS, Environments(staging=(), production=("production",)), Environments(("dev", "staging"), ("prod", "dr"))],
    ids=["webshop", "production-only", "two-of-each"],
)
def test_generated_config_is_valid_circleci_and_follows_the_workflow(envs: Environments) -> None:
    text = config_gen.render(REPO, envs, "infragate.yaml")
    jsonschema.validate(yaml.safe_load(text), SCHEMA)
    assert check_config(text, REPO, envs) == []
    assert "INFRAGATE_TOKEN=" not in text and "igt_" not in text  # secrets come from contexts
    assert "&id" not in text  # no YAML anchors for people to decode


def test_a_production_deploy_without_an_approval_is_critical() -> None:
    doc = generated()
    entry(doc, "deploy-production")  # exists
    for item in doc["workflows"]["policy"]["jobs"]:
        if isinstance(item, dict) and "deploy" in item and item["deploy"]["name"] == "deploy-production":
            item["deploy"]["requires"] = ["scan-staging"]
    assert ("CICD-002", "critical") in checks(doc)


def test_an_approval_that_also_lets_failures_through_does_not_count() -> None:
    doc = generated()
    for item in doc["workflows"]["policy"]["jobs"]:
        if isinstance(item, dict) and "deploy" in item and item["deploy"]["name"] == "deploy-production":
            item["deploy"]["requires"] = [{"hold-production": ["success", "failed"]}]
    assert ("CICD-002", "critical") in checks(doc)
    for item in doc["workflows"]["policy"]["jobs"]:
        if isinstance(item, dict) and "deploy" in item and item["deploy"]["name"] == "deploy-production":
            item["deploy"]["requires"] = [{"hold-production": "success"}]  # the decoy: only success
    assert "CICD-002" not in {check for check, _ in checks(doc)}


def test_an_approval_anyone_may_give_is_high() -> None:
    doc = generated()
    for item in doc["workflows"]["policy"]["jobs"]:
        if isinstance(item, dict) and "hold-production" in item:
            del item["hold-production"]["context"]
    assert ("CICD-002", "high") in checks(doc)


@pytest.mark.parametrize("only", [["main", "develop"], "/.*/", None])
def test_deploys_run_only_on_the_default_branch(only: Any) -> None:
    doc = generated()
    for item in doc["workflows"]["policy"]["jobs"]:
        if isinstance(item, dict) and "deploy" in item and item["deploy"]["name"] == "deploy-staging":
            item["deploy"]["filters"] = (
                {"branches": {"only": only}} if only is not None else {"branches": {"ignore": ["wip"]}}
            )
    assert ("CICD-003", "high") in checks(doc)
    for item in doc["workflows"]["policy"]["jobs"]:
        if isinstance(item, dict) and "deploy" in item and item["deploy"]["name"] == "deploy-staging":
            item["deploy"]["filters"] = {"branches": {"only": "main"}}  # the decoy: a string is one branch
    assert "CICD-003" not in {check for check, _ in checks(doc)}


@pytest.mark.parametrize(
    "plant",
    [
        lambda doc: doc["jobs"]["test"].update(
            {"environment": {"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfi"}}
        ),
        lambda doc: doc["jobs"]["test"]["steps"].append({"run": "export GITHUB_TOKEN=ghp_" + "a1B2" * 9}),
        lambda doc: doc["jobs"]["test"]["steps"].append(
            {"run": "curl -u deploy:hunter2hunter2 https://x && DB_PASSWORD=s3cretvalue ./go"}
        ),
        lambda doc: doc["executors"]["python"].update({"environment": {"IGT": "igt_" + "x" * 30}}),
    ],
    ids=["environment-key", "token-pattern-in-command", "assigned-in-command", "value-pattern"],
)
def test_plaintext_secrets_are_critical(plant: Callable[[dict[str, Any]], None]) -> None:
    doc = generated()
    plant(doc)
    assert ("CICD-004", "critical") in checks(doc)


def test_secret_references_are_not_secrets() -> None:
    doc = generated()
    doc["jobs"]["test"]["environment"] = {"DB_PASSWORD": "$DB_PASSWORD", "TOKEN_FILE": ""}
    doc["jobs"]["test"]["steps"].append({"run": 'export API_TOKEN="$CIRCLE_TOKEN" && echo the token is set'})
    assert "CICD-004" not in {check for check, _ in checks(doc)}


@pytest.mark.parametrize(
    ("image", "pinned"),
    [
        ("cimg/python:latest", False),
        ("cimg/python", False),
        ("cimg/python:3.12", False),  # a minor tag moves with every patch release
        ("localhost:5000/tools", False),  # a registry port is not a tag
        ("cimg/python:3.12.7", True),
        ("cimg/python:3.12.7-node", True),
        ("cimg/python@sha256:" + "a" * 64, True),
    ],
)
def test_images_are_pinned(image: str, pinned: bool) -> None:
    doc = generated()
    doc["executors"]["python"]["docker"][0]["image"] = image
    assert ("CICD-005" in {check for check, _ in checks(doc)}) is not pinned


ORBS = [("circleci/python@2", False), ("circleci/python@volatile", False), ("circleci/python@dev:alpha", False),
        ("circleci/python@2.1.1", True)]  # fmt: skip


@pytest.mark.parametrize(("orb", "pinned"), ORBS)
def test_orbs_are_pinned(orb: str, pinned: bool) -> None:
    doc = generated()
    doc["orbs"] = {"python": orb}
    assert ("CICD-005" in {check for check, _ in checks(doc)}) is not pinned


def test_the_policys_stages_must_all_run_in_order() -> None:
    doc = generated()
    doc["workflows"]["policy"]["jobs"] = [
        item for item in doc["workflows"]["policy"]["jobs"] if not (isinstance(item, dict) and
                                                                     entry_name(item) == "stress-staging")
    ]  # fmt: skip
    problems = check_config(yaml.safe_dump(doc), REPO, ENVS)
    assert any(p.check == "CICD-006" and "stress-staging" in p.detail for p in problems)
    doc = generated()
    for item in doc["workflows"]["policy"]["jobs"]:
        if isinstance(item, dict) and entry_name(item) == "deploy-staging":
            item["deploy"]["requires"] = ["test"]  # deploys without the design's validation
    problems = check_config(yaml.safe_dump(doc), REPO, ENVS)
    assert any(p.check == "CICD-006" and "validate-design" in p.detail for p in problems)


def entry_name(item: dict[str, Any]) -> str:
    ((job, attrs),) = item.items()
    return str(attrs.get("name", job)) if isinstance(attrs, dict) else str(job)


def test_a_missing_broken_or_old_config_is_reported() -> None:
    assert [p.check for p in check_config(None, REPO, ENVS)] == ["CICD-001"]
    broken = check_config("version: 2.1\njobs: [unclosed\n", REPO, ENVS)
    assert broken[0].check == "CICD-001" and broken[0].where.startswith(".circleci/config.yml:")
    assert check_config("version: 2\njobs: {}\n", REPO, ENVS)[0].title == "the CircleCI config is not version 2.1"


def test_init_writes_then_keeps_an_edited_file_unless_forced(tmp_path: Path) -> None:
    design = load_design(WEBSHOP)
    first = init_config(design, tmp_path)
    assert first.status == "written" and first.path == str(tmp_path / ".circleci" / "config.yml")
    assert init_config(design, tmp_path).status == "unchanged"
    edited = Path(first.path).read_text().replace("make deploy", "./yolo-deploy.sh")
    Path(first.path).write_text(edited)
    refused = init_config(design, tmp_path)
    assert refused.status == "refused"
    assert "-          command: INFRAGATE_ENV=<< parameters.environment >> ./yolo-deploy.sh" in refused.diff
    assert Path(first.path).read_text() == edited  # kept
    assert init_config(design, tmp_path, force=True).status == "written"
    assert "yolo" not in Path(first.path).read_text()


def test_a_deploy_job_that_names_no_environment_is_held_to_productions_rules() -> None:
    doc = generated()
    doc["workflows"]["policy"]["jobs"].append(
        {
            "deploy": {
                "name": "deploy",
                "environment": "somewhere",
                "requires": ["test"],
                "filters": {"branches": {"only": ["main"]}},
            }
        }
    )
    problems = check_config(yaml.safe_dump(doc), REPO, ENVS)
    assert [(p.check, p.where) for p in problems if p.check == "CICD-002"] == [
        ("CICD-002", "workflows.policy.jobs.deploy")
    ]  # deploy-staging (it names staging) is not held to them: the decoy in the same workflow
