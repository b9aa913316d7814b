"""ICP-3.1's defined workflow, as use-cases: write it into a repository (``init``), check a repository and its
GitHub settings against it (``check``, findings with clause ICP-3.1), and bring GitHub in line with a plan a
lead approved by digest (``github_plan``, ``approve_github``, ``apply_github``)."""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from pathlib import Path

from pydantic import JsonValue

from infragate.cicd import config_check, config_gen, github_settings, stages
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
from infragate.workflow.approvals import approve_plan
from infragate.workflow.bus import handles
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.deployments import pipeline_environments
from infragate.workflow.messages import Command, Result
from infragate.workflow.project import ProjectWork, open_project
from infragate.workflow.records import CicdSummary
from infragate.workflow.roles import Action

GITHUB_PLAN = "github-plan"  # the approval subject: a lead approves GitHub changes like AWS plans
PROJECT_WIDE = "*"  # the approval's environment: branch protection and environments belong to the repository
MAX_CONFIG_BYTES = 1 << 20


class InitOutcome(Result):
    path: str
    status: str  # written, unchanged, refused
    diff: str  # what the file on disk has that the defined workflow does not (refused), or ""


class ProblemOut(Result):
    check: str
    severity: str
    where: str
    title: str
    detail: str
    fix: str


class CheckOutcome(Result):
    problems: list[ProblemOut]
    not_evaluated: dict[str, str]  # part (config, github) -> why it was not read


class CicdWork:
    """ICP-3.1's checks and GitHub changes for one project, as the caller."""

    def __init__(self, work: ProjectWork) -> None:
        self.work = work

    @property
    def pipeline_envs(self) -> stages.Environments:
        return pipeline_environments(self.work.design)

    @property
    def repository(self) -> Repository:
        return repository_of(self.work.design)

    def check(self, environment: str, repo_dir: Path | None, github: GitHub | None) -> _Found:
        """Check the config in ``repo_dir`` (when given) and GitHub (when a client is configured), and keep
        what was found as ICP-3.1 findings of ``environment``: each part that was read is one run."""
        self.work.design.environment(environment)
        repo = self.repository
        outcome = _Found([], {})
        if repo_dir is not None:
            config = config_check.check_config(
                _read_config(repo_dir / config_gen.CONFIG_PATH), repo, self.pipeline_envs
            )
            self._record(environment, "config", config, outcome)
        else:
            self._record(environment, "config", None, outcome, why="no --repo given")
        if github is None:
            self._record(environment, "github", None, outcome, why="INFRAGATE_GITHUB_TOKEN is not set")
        else:
            found = github_settings.read_problems(github, repo, self.pipeline_envs.production, self.lead_logins())
            self._record(environment, "github", found, outcome)
        return outcome

    def _record(
        self, environment: str, part: str, problems: list[CicdProblem] | None, outcome: _Found, why: str = ""
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
        self.work.record(
            environment,
            summary,
            succeeded=evaluated and not found,
            findings=[_observed(p) for p in found] if evaluated else None,
            source=f"cicd-{part}",
        )

    def lead_logins(self) -> list[str]:
        """The GitHub logins of the project's current leads (the production environments' reviewers)."""
        with self.work.session() as (session, project):
            leads = sorted(holders(session, project.id, Role.LEAD.value))
        return [self.repository.login_of(lead) for lead in leads]

    def github_plan(self, github: GitHub) -> github_settings.GitHubPlan:
        return github_settings.plan(github, self.repository, self.pipeline_envs.production, self.lead_logins())

    def approve_github(self, github: GitHub, comment: str = "") -> github_settings.GitHubPlan:
        """A lead approves exactly the plan GitHub's current state gives (refused when there is nothing to do)."""
        plan = self.github_plan(github)
        if not plan.changes:
            raise UsageError("GitHub already follows the workflow: there is nothing to approve")
        approve_plan(self.work, plan.digest, PROJECT_WIDE, comment, subject=GITHUB_PLAN)
        return plan

    def apply_github(self, github: GitHub) -> github_settings.GitHubPlan:
        """Make the plan's requests, if a current lead approved exactly this plan (a lead or infra applies)."""
        plan = self.github_plan(github)
        self.work.require(Action.APPLY_GITHUB)
        if not plan.changes:
            return plan
        approver = self.work.plan_approver(plan.digest, GITHUB_PLAN)
        if approver is None:
            reason = f"no current lead approved the GitHub plan {plan.digest[:19]}…"
            self.work.log_refusal("RefusedError", self.work.name, reason)
            raise RefusedError(
                reason,
                hint="A lead runs `infragate approve github` after reading `infragate cicd apply-github --dry-run`; "
                "a change on GitHub since then gives another plan to approve.",
            )
        github_settings.apply(github, plan)
        with self.work.session() as (session, project_row):
            audit_log.append(
                session,
                self.work.actor,
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


@dataclass(frozen=True)
class _Found:
    problems: list[CicdProblem]
    not_evaluated: dict[str, str]


def init_config(design: Design, repo_dir: Path, *, force: bool = False) -> InitOutcome:
    """Write ``.circleci/config.yml`` into ``repo_dir`` from the design (no store: it is no evidence); an
    existing, different file is kept (with its diff) unless ``force``."""
    if not repo_dir.is_dir():
        raise UsageError(f"{repo_dir} is not a directory", hint="Pass the repository's root with --repo.")
    path = repo_dir / config_gen.CONFIG_PATH
    wanted = config_gen.render(repository_of(design), pipeline_environments(design), Path(design.path).name)
    current = _read_config(path)
    if current == wanted:
        return InitOutcome(path=str(path), status="unchanged", diff="")
    diff = "".join(
        difflib.unified_diff(
            (current or "").splitlines(keepends=True),
            wanted.splitlines(keepends=True),
            f"{config_gen.CONFIG_PATH} (in the repository)",
            f"{config_gen.CONFIG_PATH} (the defined workflow)",
        )
    )
    if current is not None and not force:
        return InitOutcome(path=str(path), status="refused", diff=diff)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, wanted)
    return InitOutcome(path=str(path), status="written", diff=diff if current is not None else "")


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


# -- use-cases ----------------------------------------------------------------------------------------------
def _github() -> GitHub | None:
    return GitHub.from_environment()


def _require_github() -> GitHub:
    github = _github()
    if github is None:
        raise UsageError(
            "GitHub is not configured", hint="Set INFRAGATE_GITHUB_TOKEN (administration rights on the repository)."
        )
    return github


class CheckCicd(Command[CheckOutcome]):
    """Check a repository's CircleCI config (in ``repo``, when given) and GitHub settings (when a token is
    configured) against the policy's pipeline; each part read is a run, each problem an ICP-3.1 finding."""

    project: str
    environment: str
    repo: str | None = None


@handles(CheckCicd)
def check_cicd(command: CheckCicd, caller: Caller, uow: UnitOfWork) -> CheckOutcome:
    work = CicdWork(open_project(uow, command.project, caller))
    github = _github()
    try:
        found = work.check(command.environment, Path(command.repo) if command.repo else None, github)
    finally:
        if github is not None:
            github.api.close()
    return CheckOutcome(
        problems=[
            ProblemOut(check=p.check, severity=p.severity, where=p.where, title=p.title, detail=p.detail, fix=p.fix)
            for p in found.problems
        ],
        not_evaluated=found.not_evaluated,
    )


class GitHubChange(Result):
    path: str
    what: str
    why: list[str]
    body: dict[str, JsonValue]


class GitHubPlanOut(Result):
    repository: str
    digest: str
    changes: list[GitHubChange]

    @classmethod
    def of(cls, plan: github_settings.GitHubPlan) -> GitHubPlanOut:
        return cls(
            repository=plan.repository,
            digest=plan.digest,
            changes=[GitHubChange(path=c.path, what=c.what, why=list(c.why), body=c.body) for c in plan.changes],
        )


class GetGitHubPlan(Command[GitHubPlanOut]):
    """The changes `apply-github` would make now (branch protection, production reviewers), and their digest."""

    project: str


@handles(GetGitHubPlan)
def github_plan(command: GetGitHubPlan, caller: Caller, uow: UnitOfWork) -> GitHubPlanOut:
    return GitHubPlanOut.of(CicdWork(open_project(uow, command.project, caller)).github_plan(_require_github()))


class ApproveGitHubPlan(Command[GitHubPlanOut]):
    """A lead approves exactly the GitHub plan GitHub's current state gives (refused when there is nothing)."""

    project: str
    comment: str = ""


@handles(ApproveGitHubPlan)
def approve_github(command: ApproveGitHubPlan, caller: Caller, uow: UnitOfWork) -> GitHubPlanOut:
    work = CicdWork(open_project(uow, command.project, caller))
    return GitHubPlanOut.of(work.approve_github(_require_github(), command.comment))


class ApplyGitHubPlan(Command[GitHubPlanOut]):
    """Make the GitHub plan's requests, if a current lead approved exactly this plan (a lead or infra applies)."""

    project: str


@handles(ApplyGitHubPlan)
def apply_github(command: ApplyGitHubPlan, caller: Caller, uow: UnitOfWork) -> GitHubPlanOut:
    return GitHubPlanOut.of(CicdWork(open_project(uow, command.project, caller)).apply_github(_require_github()))
