"""GitHub's side of the defined workflow: the default branch is protected (the pipeline's checks, a review,
no force-pushes or deletions) and each production environment needs a lead's review. Checked against what
the API reports, and planned as the exact requests that would set it (``plan``), by digest like AWS changes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from urllib.parse import quote

from infragate.cicd import stages
from infragate.cicd.documents import BranchProtection, Enabled, GitHubEnvironment, Reviewer
from infragate.cicd.github import GitHub
from infragate.cicd.problems import CicdProblem
from infragate.errors import UsageError
from infragate.json_values import JsonObject
from infragate.model.delivery import Repository

REQUIRED_CHECKS = (stages.TEST, stages.VALIDATE)


def check_context(job: str) -> str:
    """The status CircleCI reports for a job (its GitHub OAuth integration): ``ci/circleci: <job>``."""
    return f"ci/circleci: {job}"


def _enabled(value: Enabled | bool | None) -> bool:
    return bool(value.get("enabled")) if isinstance(value, dict) else bool(value)


def _checks(protection: BranchProtection) -> set[str]:
    required = protection.get("required_status_checks") or {}
    names = {str(c) for c in required.get("contexts") or []}
    names |= {str(c.get("context")) for c in required.get("checks") or [] if isinstance(c, dict)}
    return names


def _problem(check: str, severity: str, where: str, title: str, detail: str) -> CicdProblem:
    return CicdProblem(
        check, severity, where, title, detail, "Run `infragate cicd apply-github --env ENV` (after a lead approves)."
    )


def check_protection(protection: BranchProtection | None, repo: Repository) -> list[CicdProblem]:
    where = f"github:{repo.github}:branches/{repo.default_branch}/protection"
    if protection is None:
        return [
            _problem(
                "CICD-101",
                "high",
                where,
                "the default branch is not protected",
                f"Anyone with write access can push to {repo.default_branch} without the pipeline or a review.",
            )
        ]
    problems = []
    present = _checks(protection)
    missing = [job for job in REQUIRED_CHECKS if check_context(job) not in present and job not in present]
    if missing:
        problems.append(
            _problem(
                "CICD-102",
                "high",
                f"{where}/required_status_checks",
                "merges do not wait for the pipeline",
                f"The CircleCI checks {', '.join(check_context(job) for job in missing)} are not required.",
            )
        )
    reviews = protection.get("required_pull_request_reviews") or {}
    if int(reviews.get("required_approving_review_count") or 0) < 1:
        problems.append(
            _problem(
                "CICD-103",
                "high",
                f"{where}/required_pull_request_reviews",
                "changes merge without a review",
                "At least one approving review must be required.",
            )
        )
    if _enabled(protection.get("allow_force_pushes")):
        problems.append(
            _problem(
                "CICD-104",
                "high",
                f"{where}/allow_force_pushes",
                "force-pushes are allowed",
                "History on the default branch can be rewritten.",
            )
        )
    if _enabled(protection.get("allow_deletions")):
        problems.append(
            _problem(
                "CICD-105",
                "medium",
                f"{where}/allow_deletions",
                "the default branch may be deleted",
                "Deleting it would take the deployed history with it.",
            )
        )
    return problems


def _reviewers(environment: GitHubEnvironment) -> list[Reviewer] | None:
    for rule in environment.get("protection_rules") or []:
        if rule.get("type") == "required_reviewers":
            return list(rule.get("reviewers") or [])
    return None


def check_environment(
    environment: GitHubEnvironment | None, repo: Repository, name: str, leads: list[str]
) -> list[CicdProblem]:
    """``leads`` are the GitHub logins of the project's current leads."""
    where = f"github:{repo.github}:environments/{name}"
    reviewers = _reviewers(environment) if environment is not None else None
    if not reviewers:
        return [
            _problem(
                "CICD-106",
                "high",
                where,
                f"deploying to {name} needs no reviewer",
                "The GitHub environment is missing or has no required reviewers."
                if environment is None or reviewers is None
                else "Its required-reviewers rule names nobody.",
            )
        ]
    lead_set = {login.lower() for login in leads}
    users = [str((r.get("reviewer") or {}).get("login", "")) for r in reviewers if r.get("type") == "User"]
    teams = [str((r.get("reviewer") or {}).get("slug", "")) for r in reviewers if r.get("type") == "Team"]
    others = [login for login in users if login.lower() not in lead_set]
    problems = []
    if not any(login.lower() in lead_set for login in users):
        problems.append(
            _problem(
                "CICD-107",
                "high",
                where,
                f"no lead reviews deployments to {name}",
                f"Its reviewers ({', '.join(users + teams) or 'none'}) include none of the leads "
                f"({', '.join(leads) or 'none known'}).",
            )
        )
    if others or teams:
        problems.append(
            _problem(
                "CICD-107",
                "medium",
                where,
                f"people other than the leads may approve deployments to {name}",
                f"Only one reviewer must approve, and {', '.join(others + [f'team {t}' for t in teams])} "
                "is not a lead.",
            )
        )
    return problems


@dataclass(frozen=True)
class Change:
    """One request the plan makes: PUT ``path`` with ``body``, and why."""

    what: str
    path: str
    body: JsonObject
    why: tuple[str, ...]


@dataclass(frozen=True)
class GitHubPlan:
    repository: str
    changes: tuple[Change, ...]
    problems: tuple[CicdProblem, ...]  # what the changes fix (and what they cannot)

    @property
    def digest(self) -> str:
        """What a lead approves: the requests exactly, and what they fix (so GitHub changed since gives another
        digest, even when the requests stay the same)."""
        changes = [[c.path, c.body, list(c.why)] for c in self.changes]
        canonical = json.dumps({"repository": self.repository, "changes": changes}, sort_keys=True)
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def protection_body(repo: Repository) -> JsonObject:
    return {
        "required_status_checks": {"strict": True, "checks": [{"context": check_context(j)} for j in REQUIRED_CHECKS]},
        "enforce_admins": True,
        "required_pull_request_reviews": {"required_approving_review_count": 1, "dismiss_stale_reviews": True},
        "restrictions": None,
        "allow_force_pushes": False,
        "allow_deletions": False,
    }


def environment_body(reviewer_ids: list[int]) -> JsonObject:
    return {
        "reviewers": [{"type": "User", "id": user_id} for user_id in reviewer_ids],
        "prevent_self_review": False,  # a lead may deploy their own change after the pipeline's checks
        "deployment_branch_policy": {"protected_branches": True, "custom_branch_policies": False},
    }


def read_problems(github: GitHub, repo: Repository, production: tuple[str, ...], leads: list[str]) -> list[CicdProblem]:
    """What GitHub's settings break, read now."""
    problems = check_protection(github.protection(repo.github, repo.default_branch), repo)
    for env in production:
        problems += check_environment(github.environment(repo.github, env), repo, env, leads)
    return problems


def plan(github: GitHub, repo: Repository, production: tuple[str, ...], leads: list[str]) -> GitHubPlan:
    """The requests that make GitHub follow the workflow; none when it already does. Leads' logins must exist
    on GitHub (an unknown login is an error to fix in ``repository.github_logins``)."""
    protection_problems = check_protection(github.protection(repo.github, repo.default_branch), repo)
    changes: list[Change] = []
    if protection_problems:
        changes.append(
            Change(
                f"protect {repo.default_branch}",
                f"/repos/{repo.github}/branches/{quote(repo.default_branch, safe='')}/protection",
                protection_body(repo),
                tuple(p.title for p in protection_problems),
            )
        )
    problems = list(protection_problems)
    for env in production:
        env_problems = check_environment(github.environment(repo.github, env), repo, env, leads)
        problems += env_problems
        if not env_problems:
            continue
        if not leads:
            raise UsageError(
                f"the project has no lead to review deployments to {env}",
                hint="Grant someone the lead role first (`infragate project members add`).",
            )
        ids = []
        for login in leads:
            found = github.user_id(login)
            if found is None:
                raise UsageError(
                    f"GitHub has no user '{login}' (a lead of the project)",
                    hint="Map infragate users to GitHub logins in the design: project.repository.github_logins.",
                )
            ids.append(found)
        changes.append(
            Change(
                f"require a lead's review to deploy to {env}",
                f"/repos/{repo.github}/environments/{env}",
                environment_body(sorted(ids)[:6]),
                tuple(p.title for p in env_problems),
            )
        )
    return GitHubPlan(repo.github, tuple(changes), tuple(problems))


def apply(github: GitHub, plan_: GitHubPlan) -> None:
    for change in plan_.changes:
        github.api.call("PUT", change.path, json=change.body)
