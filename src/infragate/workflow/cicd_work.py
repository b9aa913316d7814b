"""ICP-3.1's defined workflow, as use-cases: write it into a repository (``init``), check a repository and its
GitHub settings against it (``check``, findings with clause ICP-3.1), and bring GitHub in line with a plan a
lead approved by digest (``github_plan``, ``approve_github``, ``apply_github``)."""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from pathlib import Path

from infragate.cicd import config_check, config_gen, github_settings
from infragate.cicd.github import GitHub
from infragate.cicd.problems import CLAUSE, CicdProblem
from infragate.design import Design
from infragate.errors import RefusedError, UsageError
from infragate.files import write_atomically
from infragate.model import Role
from infragate.model.delivery import Repository
from infragate.store import audit_log
from infragate.store.findings import Observed
from infragate.store.memberships import holders
from infragate.workflow.deployments import pipeline_environments
from infragate.workflow.records import CicdSummary
from infragate.workflow.roles import Action
from infragate.workflow.service import Workflow

GITHUB_PLAN = "github-plan"  # the approval subject: a lead approves GitHub changes like AWS plans
PROJECT_WIDE = "*"  # the approval's environment: branch protection and environments belong to the repository
MAX_CONFIG_BYTES = 1 << 20


@dataclass(frozen=True)
class InitOutcome:
    path: Path
    status: str  # written, unchanged, refused
    diff: str  # what the file on disk has that the defined workflow does not (refused), or ""


@dataclass(frozen=True)
class CheckOutcome:
    problems: list[CicdProblem]
    not_evaluated: dict[str, str]  # part (config, github) -> why it was not read


class CicdWork:
    """The CI/CD use-cases of one design, as the flow's user."""

    def __init__(self, flow: Workflow) -> None:
        self.flow = flow

    @property
    def repository(self) -> Repository:
        return repository_of(self.flow.design)

    def check(self, environment: str, repo_dir: Path | None, github: GitHub | None) -> CheckOutcome:
        """Check the config in ``repo_dir`` (when given) and GitHub (when a client is configured), and keep
        what was found as ICP-3.1 findings of ``environment``: each part that was read is one run."""
        self.flow.design.environment(environment)
        repo = self.repository
        outcome = CheckOutcome([], {})
        if repo_dir is not None:
            config = config_check.check_config(
                _read_config(repo_dir / config_gen.CONFIG_PATH), repo, self.flow.pipeline_envs
            )
            self._record(environment, "config", config, outcome)
        else:
            self._record(environment, "config", None, outcome, why="no --repo given")
        if github is None:
            self._record(environment, "github", None, outcome, why="INFRAGATE_GITHUB_TOKEN is not set")
        else:
            found = github_settings.read_problems(github, repo, self.flow.pipeline_envs.production, self.lead_logins())
            self._record(environment, "github", found, outcome)
        return outcome

    def _record(
        self, environment: str, part: str, problems: list[CicdProblem] | None, outcome: CheckOutcome, why: str = ""
    ) -> None:
        """Keep one part's check as a run (``problems`` None: the part was not read, and says why)."""
        evaluated = problems is not None
        found = problems or []
        outcome.problems.extend(found)
        if not evaluated:
            outcome.not_evaluated[part] = why
        summary = CicdSummary(
            part=part,
            evaluated=evaluated,
            not_evaluated_because=why,
            problems=[f"{p.check} {p.where}" for p in found],
        )
        self.flow.record_run(
            environment,
            summary,
            succeeded=evaluated and not found,
            findings=[_observed(p) for p in found] if evaluated else None,
            source=f"cicd-{part}",
        )

    def lead_logins(self) -> list[str]:
        """The GitHub logins of the project's current leads (the production environments' reviewers)."""
        with self.flow.store.session() as session:
            project = self.flow.register(session)
            leads = sorted(holders(session, project.id, Role.LEAD.value))
        return [self.repository.login_of(lead) for lead in leads]

    def github_plan(self, github: GitHub) -> github_settings.GitHubPlan:
        return github_settings.plan(github, self.repository, self.flow.pipeline_envs.production, self.lead_logins())

    def approve_github(self, github: GitHub, comment: str = "") -> github_settings.GitHubPlan:
        """A lead approves exactly the plan GitHub's current state gives (refused when there is nothing to do)."""
        plan = self.github_plan(github)
        if not plan.changes:
            raise UsageError("GitHub already follows the workflow: there is nothing to approve")
        self.flow.approve_plan(plan.digest, PROJECT_WIDE, comment, subject=GITHUB_PLAN)
        return plan

    def apply_github(self, github: GitHub) -> github_settings.GitHubPlan:
        """Make the plan's requests, if a current lead approved exactly this plan (a lead or infra applies)."""
        plan = self.github_plan(github)
        self.flow.require_action(Action.APPLY_GITHUB)
        if not plan.changes:
            return plan
        approver = self.flow.plan_approver(plan.digest, GITHUB_PLAN)
        if approver is None:
            reason = f"no current lead approved the GitHub plan {plan.digest[:19]}…"
            self.flow.log_refusal("RefusedError", self.flow.design.project.name, reason)
            raise RefusedError(
                reason,
                hint="A lead runs `infragate approve github` after reading `infragate cicd apply-github --dry-run`; "
                "a change on GitHub since then gives another plan to approve.",
            )
        github_settings.apply(github, plan)
        with self.flow.store.session() as session:
            project_row = self.flow.register(session)
            audit_log.append(
                session,
                self.flow.actor,
                "github-applied",
                f"{project_row.name}/{self.repository.github}",
                {"digest": plan.digest, "approved_by": approver, "changes": [c.what for c in plan.changes]},
            )
        return plan


def repository_of(design: Design) -> Repository:
    found = design.project.repository
    if found is None:
        raise UsageError(
            f"the design of {design.project.name} names no repository",
            hint="Add project.repository: {github: owner/name} (default_branch: main) to the design.",
        )
    return found


def init_config(design: Design, repo_dir: Path, *, force: bool = False) -> InitOutcome:
    """Write ``.circleci/config.yml`` into ``repo_dir`` from the design (no store: it is no evidence); an
    existing, different file is kept (with its diff) unless ``force``."""
    if not repo_dir.is_dir():
        raise UsageError(f"{repo_dir} is not a directory", hint="Pass the repository's root with --repo.")
    path = repo_dir / config_gen.CONFIG_PATH
    wanted = config_gen.render(repository_of(design), pipeline_environments(design), Path(design.path).name)
    current = _read_config(path)
    if current == wanted:
        return InitOutcome(path, "unchanged", "")
    diff = "".join(
        difflib.unified_diff(
            (current or "").splitlines(keepends=True),
            wanted.splitlines(keepends=True),
            f"{config_gen.CONFIG_PATH} (in the repository)",
            f"{config_gen.CONFIG_PATH} (the defined workflow)",
        )
    )
    if current is not None and not force:
        return InitOutcome(path, "refused", diff)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, wanted)
    return InitOutcome(path, "written", diff if current is not None else "")


def _read_config(path: Path) -> str | None:
    if not path.is_file():
        return None
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise UsageError(f"{path} is larger than 1 MiB", hint="That is not a CircleCI config infragate can check.")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as failed:
        raise UsageError(f"{path} cannot be read: {failed}") from None


def _observed(problem: CicdProblem) -> Observed:
    key = f"{problem.check}|{problem.where}|{problem.title}"
    return Observed(
        fingerprint=hashlib.sha256(key.encode()).hexdigest(),
        rule_id=problem.check,
        component=problem.where[:200],
        severity=problem.severity,
        title=problem.title,
        message=problem.message[:2000],
        clause=CLAUSE,
    )
