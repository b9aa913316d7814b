"""Checks a repository's ``.circleci/config.yml`` against the policy's pipeline (ICP-3.1).

Dependencies are read as CircleCI runs them: a ``requires`` entry counts only when it waits for success, so
``{hold: [success, failed]}`` does not put a deploy behind its approval. Branch filters count only when they
name the default branch literally; a regex that matches it (``/.*/``) lets every branch deploy.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import yaml

from infragate.cicd import stages
from infragate.cicd.problems import CicdProblem
from infragate.model.delivery import Repository

SECRET_KEY = re.compile(r"(?i)(token|secret|passw(or)?d|api[_-]?key|access[_-]?key|private[_-]?key|credential)")
SECRET_VALUE = re.compile(
    r"AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|igt_[A-Za-z0-9_-]{20,}"
    r"|xox[abprs]-[A-Za-z0-9-]{10,}|CCIPAT_[A-Za-z0-9_]{20,}|-----BEGIN [A-Z ]*PRIVATE KEY-----"
)
ASSIGNED_SECRET = re.compile(
    r"(?i)\b[A-Z0-9_]*(TOKEN|SECRET|PASSWORD|API_KEY|ACCESS_KEY)[A-Z0-9_]*=(?![\"']?\$)[\"']?[^\s\"'$]{8,}"
)
PINNED_TAG = re.compile(r"^v?\d+\.\d+\.\d+([-+._][A-Za-z0-9._-]+)?$")  # x.y.z: x.y moves with patches
PINNED_ORB = re.compile(r"^[a-z0-9_-]+/[a-z0-9_-]+@\d+\.\d+\.\d+$")
SUCCESS = {"success"}


@dataclass
class Invocation:
    """A job as a workflow runs it: its name there, the job it runs, and what it waits for."""

    name: str
    job: str
    attrs: dict[str, object]
    requires: list[str] = field(default_factory=list)  # only dependencies that must have succeeded
    approval: bool = False


def _text(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(item) for item in value]
    return []


def _mapping(value: object) -> dict[str, object]:
    """A YAML mapping as it is, or an empty one for anything else (a user's file may hold anything)."""
    return {str(key): item for key, item in value.items()} if isinstance(value, dict) else {}


def _items(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


def _requires(attrs: dict[str, object]) -> list[str]:
    found: list[str] = []
    for item in _items(attrs.get("requires")):
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict) and len(item) == 1:
            name, status = next(iter(item.items()))
            if set(_text(status)) == SUCCESS:
                found.append(str(name))
    return found


def _invocations(workflow: dict[str, object], jobs: dict[str, object]) -> dict[str, Invocation]:
    found: dict[str, Invocation] = {}
    for entry in _items(workflow.get("jobs")):
        attrs: dict[str, object]
        if isinstance(entry, str):
            job, attrs = entry, {}
        elif isinstance(entry, dict) and len(entry) == 1:
            key, raw = next(iter(entry.items()))
            job, attrs = str(key), _mapping(raw)
        else:
            continue
        name = str(attrs.get("name") or job)
        definition = _mapping(jobs.get(job))
        approval = attrs.get("type") == "approval" or definition.get("type") == "approval"
        found[name] = Invocation(name, str(job), attrs, _requires(attrs), approval)
    return found


def _ancestors(name: str, graph: dict[str, Invocation]) -> set[str]:
    seen: set[str] = set()
    todo = list(graph[name].requires) if name in graph else []
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        if current in graph:
            todo.extend(graph[current].requires)
    return seen


def _strings(value: object, path: str) -> Iterator[tuple[str, str | None, str]]:
    """Every string in the document: (path, the key it is the value of, the string)."""
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if isinstance(item, str | int | float) and not isinstance(item, bool):
                yield child, str(key), str(item)
            else:
                yield from _strings(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                yield f"{path}[{index}]", None, item
            else:
                yield from _strings(item, f"{path}[{index}]")


def _secrets(doc: dict[str, object]) -> list[CicdProblem]:
    problems = []
    for path, key, text in _strings(doc, ""):
        literal = text.strip()
        reference = literal.startswith("$") or "<<" in literal or not literal
        by_key = (
            key is not None and SECRET_KEY.search(key) is not None and not reference and ".environment." in f".{path}"
        )
        by_value = SECRET_VALUE.search(text) is not None or ASSIGNED_SECRET.search(text) is not None
        if by_key or by_value:
            problems.append(
                CicdProblem(
                    "CICD-004",
                    "critical",
                    path,
                    "a secret is written in the CircleCI config",
                    "This value looks like a credential in plain text; anyone who can read the repository has it.",
                    "Move it to a CircleCI context (or project environment variable), revoke it, and refer to it as "
                    "$NAME.",
                )
            )
    return problems


def _images(doc: dict[str, object]) -> list[CicdProblem]:
    problems = []
    places: list[tuple[str, object]] = []
    for section in ("jobs", "executors"):
        for name, body in _mapping(doc.get(section)).items():
            if not isinstance(body, dict):
                continue
            for index, image in enumerate(_items(body.get("docker"))):
                if isinstance(image, dict):
                    places.append((f"{section}.{name}.docker[{index}].image", image.get("image")))
            machine = body.get("machine")
            if isinstance(machine, dict):
                places.append((f"{section}.{name}.machine.image", machine.get("image")))
    for where, image in places:
        text = str(image or "")
        if "@sha256:" in text:
            continue
        tag = text.rsplit(":", 1)[1] if ":" in text.rsplit("/", 1)[-1] else ""
        if not PINNED_TAG.match(tag):
            problems.append(
                CicdProblem(
                    "CICD-005",
                    "medium",
                    where,
                    "an image is not pinned",
                    f"'{text}' can change under the pipeline (no tag, or a moving one such as latest or a major).",
                    "Use a full version tag (cimg/python:3.12.7) or a digest (@sha256:…).",
                )
            )
    for name, orb in _mapping(doc.get("orbs")).items():
        if isinstance(orb, str) and not PINNED_ORB.match(orb):
            problems.append(
                CicdProblem(
                    "CICD-005",
                    "medium",
                    f"orbs.{name}",
                    "an orb is not pinned",
                    f"'{orb}' follows new releases (volatile, a major or minor, or a dev branch).",
                    "Pin the full version: namespace/orb@1.2.3.",
                )
            )
    return problems


def _only_default(inv: Invocation, repo: Repository) -> bool:
    filters = inv.attrs.get("filters")
    if not isinstance(filters, dict):
        return False
    branches = filters.get("branches")
    if not isinstance(branches, dict):
        return False
    return _text(branches.get("only")) == [repo.default_branch]


def _production_target(inv: Invocation, envs: stages.Environments) -> str | None:
    """The production environment a deploy job deploys to. A job that names no known environment (a generic
    ``deploy``) may deploy anywhere, so it is held to production's rules; only a job that names a
    non-production environment, and no production one, is not."""
    said = f"{inv.name} {inv.job} {inv.attrs.get('environment', '')}"
    named = next((env for env in envs.production if env in said), None)
    if named is not None:
        return named
    if any(env in said for env in envs.staging):
        return None
    return envs.production[0] if envs.production else "production"


def _deploys(
    workflows: dict[str, dict[str, Invocation]], repo: Repository, envs: stages.Environments
) -> list[CicdProblem]:
    problems = []
    for wf_name, graph in workflows.items():
        for inv in graph.values():
            if "deploy" not in inv.name and "deploy" not in inv.job:
                continue
            where = f"workflows.{wf_name}.jobs.{inv.name}"
            if not _only_default(inv, repo):
                problems.append(
                    CicdProblem(
                        "CICD-003",
                        "high",
                        where,
                        "a deploy job runs on other branches than the default",
                        f"It does not filter branches to exactly [{repo.default_branch}] (a regex or an ignore "
                        "list lets other branches deploy).",
                        f"Add filters: {{branches: {{only: [{repo.default_branch}]}}}}.",
                    )
                )
            production = _production_target(inv, envs)
            if production is None:
                continue
            gates = [graph[name] for name in _ancestors(inv.name, graph) if name in graph and graph[name].approval]
            if not gates:
                problems.append(
                    CicdProblem(
                        "CICD-002",
                        "critical",
                        where,
                        "production deploys without an approval",
                        "No approval job must succeed before it (requires that also accept failed or canceled do "
                        "not count).",
                        f"Add `{stages.hold_job(production)}: {{type: approval, context: [{repo.approvers_context}]}}`"
                        f" and require it.",
                    )
                )
            elif not any(repo.approvers_context in _text(gate.attrs.get("context")) for gate in gates):
                problems.append(
                    CicdProblem(
                        "CICD-002",
                        "high",
                        where,
                        "anyone may approve the production deploy",
                        f"Its approval job is not in the restricted context {repo.approvers_context}, so any "
                        "member of the project can approve it.",
                        f"Give the approval job `context: [{repo.approvers_context}]` and restrict that context to "
                        "the leads.",
                    )
                )
    return problems


def _stages(workflows: dict[str, dict[str, Invocation]], envs: stages.Environments) -> list[CicdProblem]:
    problems = []
    for env in (*envs.staging, *envs.production):
        deploy = stages.deploy_job(env)
        graph = next((g for g in workflows.values() if deploy in g), None)
        where = f"workflows.*.jobs.{deploy}"
        if graph is None:
            problems.append(_stage_problem(where, f"no workflow deploys {env} with a job named {deploy}."))
            continue
        before = set(_ancestors(deploy, graph))
        missing = [job for job in stages.verified_before(envs, env) if job not in before]
        after = [stages.infra_test_job(env)]
        if env in envs.staging:
            after += [stages.stress_job(env), stages.scan_job(env)]
        unordered = [job for job in after if job not in graph or deploy not in _ancestors(job, graph)]
        if missing:
            problems.append(_stage_problem(where, f"{deploy} does not wait for the success of {', '.join(missing)}."))
        if unordered:
            problems.append(
                _stage_problem(
                    f"workflows.*.jobs.{unordered[0]}", f"{', '.join(unordered)} missing or not run after {deploy}."
                )
            )
    return problems


def _stage_problem(where: str, detail: str) -> CicdProblem:
    return CicdProblem(
        "CICD-006",
        "high",
        where,
        "the policy's stages are missing or out of order",
        detail,
        "Run `infragate cicd init` to write the defined workflow (test, design validation, deploy to staging, "
        "its tests, stress test and scan, the lead's approval, deploy to production, its tests).",
    )


def check_config(text: str | None, repo: Repository, envs: stages.Environments) -> list[CicdProblem]:
    """Every way the config breaks the defined workflow; ``text`` None means the repository has none."""
    if text is None:
        return [
            CicdProblem(
                "CICD-001",
                "high",
                ".circleci/config.yml",
                "the repository has no CircleCI config",
                "Nothing deploys through CircleCI, so no deployment follows the defined workflow.",
                "Run `infragate cicd init --repo PATH` and commit the file.",
            )
        ]
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as broken:
        mark = getattr(broken, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        return [
            CicdProblem(
                "CICD-001",
                "high",
                f".circleci/config.yml{line}",
                "the CircleCI config is not valid YAML",
                str(getattr(broken, "problem", broken)),
                "Fix the YAML (or rewrite it with `infragate cicd init --force`).",
            )
        ]
    if not isinstance(doc, dict) or str(doc.get("version")) != "2.1":
        return [
            CicdProblem(
                "CICD-001",
                "high",
                ".circleci/config.yml:version",
                "the CircleCI config is not version 2.1",
                "Only a 2.1 config can express the workflow (approval jobs, parameters, contexts).",
                "Set version: 2.1 (or rewrite it with `infragate cicd init --force`).",
            )
        ]
    document = _mapping(doc)
    jobs = _mapping(document.get("jobs"))
    workflows = {
        name: _invocations(_mapping(body), jobs)
        for name, body in _mapping(document.get("workflows")).items()
        if isinstance(body, dict)
    }
    return [
        *_deploys(workflows, repo, envs),
        *_secrets(document),
        *_images(document),
        *_stages(workflows, envs),
    ]
