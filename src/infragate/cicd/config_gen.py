"""``.circleci/config.yml`` written from the design: the policy's pipeline as a CircleCI 2.1 workflow.

What the file holds is decided here and nowhere else: job names come from ``stages``, images are pinned to a
full version, there are no orbs to pin, only the default branch deploys, production waits on an approval
job in the leads' restricted context, and every secret comes from a context (never this file).
"""

from __future__ import annotations

import yaml

from infragate import __version__
from infragate.cicd import stages
from infragate.json_values import Json, JsonObject
from infragate.model.delivery import Repository

PYTHON_IMAGE = "cimg/python:3.12.7"  # pinned: a full version, never latest or a moving major tag
CONFIG_PATH = ".circleci/config.yml"


def _branch_filter(repo: Repository) -> JsonObject:
    return {"branches": {"only": [repo.default_branch]}}


def _jobs(repo: Repository) -> JsonObject:
    setup: list[Json] = ["checkout", "install-infragate"]
    design = repo.design_file
    return {
        stages.TEST: {
            "executor": "python",
            "steps": ["checkout", {"run": {"name": "The project's tests", "command": repo.test_command}}],
        },
        stages.VALIDATE: {
            "executor": "python",
            "steps": [
                *setup,
                {
                    "run": {
                        "name": "Validate the design against the policy",
                        "command": "mkdir -p reports/design\n"
                        f"infragate design validate {design} --format junit --output reports/design/results.xml"
                        " || failed=1\n"
                        f"infragate design validate {design} --format sarif --output reports/design.sarif"
                        " --fail-on none\n"
                        'exit "${failed:-0}"\n',
                    }
                },
                {"store_test_results": {"path": "reports/design"}},
                {"store_artifacts": {"path": "reports/design.sarif"}},
            ],
        },
        "deploy": {
            "parameters": {"environment": {"type": "string"}},
            "executor": "python",
            "steps": [
                *setup,
                {"run": {"name": "Tell infragate the deployment started", "command": _report("in_progress", design)}},
                {
                    "run": {
                        "name": "Deploy",
                        "command": f"INFRAGATE_ENV=<< parameters.environment >> {repo.deploy_command}",
                    }
                },
                {"run": {"name": "Tell infragate it succeeded", "command": _report("success", design)}},
                {
                    "run": {
                        "name": "Tell infragate it failed",
                        "when": "on_fail",
                        "command": _report("failure", design),
                    }
                },
            ],
        },
        "infragate-job": {
            "parameters": {
                "kind": {"type": "enum", "enum": ["test", "stress", "scan"]},
                "environment": {"type": "string"},
            },
            "executor": "python",
            "steps": [
                *setup,
                {
                    "run": {
                        "name": "infragate << parameters.kind >> on << parameters.environment >>, by the server",
                        "command": "infragate jobs submit << parameters.kind >> --env << parameters.environment >>"
                        f" --design {design} --wait",
                        "no_output_timeout": "60m",
                    }
                },
            ],
        },
    }


def _report(state: str, design: str) -> str:
    return (
        f"infragate cicd report --env << parameters.environment >> --state {state} --design {design}"
        ' --sha "$CIRCLE_SHA1" --url "$CIRCLE_BUILD_URL"'
        ' --workflow "$CIRCLE_WORKFLOW_ID"'
    )


def _workflow(repo: Repository, envs: stages.Environments) -> list[Json]:
    only_default = _branch_filter(repo)
    jobs: list[Json] = [stages.TEST, stages.VALIDATE]
    previous = [stages.TEST, stages.VALIDATE]
    for env in envs.staging:
        context = [repo.context_of(env)]
        jobs.append(
            {
                "deploy": {
                    "name": stages.deploy_job(env),
                    "environment": env,
                    "context": context,
                    "requires": previous,
                    "filters": only_default,
                }
            }
        )
        after = stages.deploy_job(env)
        for kind, name in (
            ("test", stages.infra_test_job(env)),
            ("stress", stages.stress_job(env)),
            ("scan", stages.scan_job(env)),
        ):
            jobs.append(
                {
                    "infragate-job": {
                        "name": name,
                        "kind": kind,
                        "environment": env,
                        "context": context,
                        "requires": [after],
                        "filters": only_default,
                    }
                }
            )
            after = name
        previous = [after]
    for env in envs.production:
        context = [repo.context_of(env)]
        hold = stages.hold_job(env)
        jobs.append(
            {
                hold: {
                    "type": "approval",
                    "context": [repo.approvers_context],
                    "requires": previous,
                    "filters": only_default,
                }
            }
        )
        jobs.append(
            {
                "deploy": {
                    "name": stages.deploy_job(env),
                    "environment": env,
                    "context": context,
                    "requires": [hold],
                    "filters": only_default,
                }
            }
        )
        jobs.append(
            {
                "infragate-job": {
                    "name": stages.infra_test_job(env),
                    "kind": "test",
                    "environment": env,
                    "context": context,
                    "requires": [stages.deploy_job(env)],
                    "filters": only_default,
                }
            }
        )
    return jobs


def config(repo: Repository, envs: stages.Environments) -> JsonObject:
    """The config as data (what the schema test validates)."""
    return {
        "version": 2.1,
        "executors": {"python": {"docker": [{"image": PYTHON_IMAGE}], "resource_class": "medium"}},
        "commands": {
            "install-infragate": {
                "description": "The infragate CLI, pinned to the version that wrote this file",
                "steps": [
                    {
                        "run": {
                            "name": "Install infragate",
                            "command": f'pip install --quiet "infragate=={__version__}"',
                        }
                    }
                ],
            }
        },
        "jobs": _jobs(repo),
        "workflows": {"policy": {"jobs": _workflow(repo, envs)}},
    }


def render(repo: Repository, envs: stages.Environments, design_name: str) -> str:
    """The file's text: a header that says where it came from, then the config."""
    contexts = ", ".join([repo.context_of(env) for env in (*envs.staging, *envs.production)] + [repo.approvers_context])
    header = (
        f"# Written by `infragate cicd init` {__version__} from {design_name}: the pipeline the Infrastructure\n"
        "# Creation Policy defines (ICP-3.1). `infragate cicd check` checks it; re-run `cicd init` after the\n"
        "# design changes rather than editing it by hand.\n"
        f"# Secrets (INFRAGATE_SERVER, INFRAGATE_TOKEN, deploy credentials) live in the CircleCI contexts\n"
        f"# {contexts}; {repo.approvers_context} is restricted to the project's leads.\n"
    )
    return header + yaml.dump(config(repo, envs), Dumper=_Dumper, sort_keys=False, width=10_000)


class _Dumper(yaml.SafeDumper):
    """Plain YAML for people: no anchors or aliases, multi-line commands as literal blocks, lists indented."""

    def ignore_aliases(self, data: object) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)
