"""ICP-3.1 as the workflow sees it: deployments recorded from verified webhook deliveries, each bound to its
environment, commit, pipeline, actor and the design approved then; and the pipeline's own reports of its
deploy steps, which infragate passes on to GitHub as deployments and statuses."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field
from sqlalchemy.orm import Session

from infragate.cicd import stages
from infragate.cicd.circleci import CircleCI
from infragate.cicd.github import DEPLOYMENT_STATES, GitHub
from infragate.cicd.http import CicdApiError
from infragate.cicd.webhooks import CiJob, Delivery, GitHubDeployment
from infragate.design import Design
from infragate.errors import UsageError
from infragate.json_values import JsonObject
from infragate.store import audit_log
from infragate.store.deliveries import Seen, job_outcomes, remember, workflows_of
from infragate.store.evidence import approvals
from infragate.store.schema import Project
from infragate.workflow.bus import handles
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.messages import Command, Http, Result
from infragate.workflow.project import ProjectWork, open_project
from infragate.workflow.records import DeploySummary
from infragate.workflow.roles import Action, require

RECORDED_GITHUB_STATES = ("success", "failure", "error")  # a deployment that ended; the others are steps
RECORDED_CIRCLECI_STATES = ("success", "failed", "canceled", "unauthorized")


class Receipt(Result):
    """What infragate did with a verified delivery."""

    project: str
    outcome: str  # recorded, kept, ignored
    detail: str
    run: int | None = None


class StepReport(Result):
    """What a pipeline step's report became on GitHub (nothing when GitHub is not configured)."""

    environment: str
    state: str
    github_deployment: int | None
    detail: str


def pipeline_environments(design: Design) -> stages.Environments:
    """The design's environments in design order, split by production, as the pipeline orders them."""
    production = {name: env.settings.is_production for name, env in design.environments.items()}
    return stages.Environments(
        staging=tuple(name for name, is_production in production.items() if not is_production),
        production=tuple(name for name, is_production in production.items() if is_production),
    )


class Deployments:
    """ICP-3.1's deployments of one project: recorded from verified deliveries, reported by its pipeline."""

    def __init__(self, work: ProjectWork) -> None:
        self.work, self.design = work, work.design

    @property
    def pipeline_envs(self) -> stages.Environments:
        return pipeline_environments(self.design)

    def take_delivery(self, delivery: Delivery, circleci: CircleCI | None = None) -> Receipt:
        """Keep a verified delivery once (a replay is refused) and, when it reports the end of a deployment
        to one of the design's environments, record that deployment as evidence. ``circleci`` (when
        configured) confirms the stages no webhook reports, such as the production approval."""
        facts = delivery.facts
        with self.work.session() as (session, project):
            remember(session, seen_of(delivery, project.id))
            environment, deployed = _deployment_of(facts, self.design.environments)
            if environment is None or facts is None:
                what = "nothing to record" if facts is None else f"{delivery.event} kept (not the end of a deploy)"
                return Receipt(project=project.name, outcome="kept", detail=what)
            summary = self._summary(session, project, environment, delivery, circleci)
            succeeded = summary.deployed and not summary.stages_missing
            run_id, _recorded = self.work.record_in(
                session,
                project,
                environment,
                summary,
                succeeded=succeeded,
                detail={"delivery": delivery.delivery_id, "sha": summary.sha, "state": summary.state},
            )
            state = "deployed" if deployed else summary.state
            detail = f"{environment} {state} at {summary.sha[:12]}"
            return Receipt(project=project.name, outcome="recorded", detail=detail, run=run_id)

    def _summary(
        self, session: Session, project: Project, environment: str, delivery: Delivery, circleci: CircleCI | None
    ) -> DeploySummary:
        facts = delivery.facts
        assert isinstance(facts, CiJob | GitHubDeployment)
        if isinstance(facts, CiJob):
            workflows = [facts.workflow_id] if facts.workflow_id else []
            ref, url, state = facts.branch, facts.workflow_url, facts.status
        else:
            workflows = [facts.workflow_id] if facts.workflow_id else workflows_of(session, project.id, facts.sha)
            ref, url, state = facts.ref, facts.url, facts.state
        required = stages.verified_before(self.pipeline_envs, environment)
        ran, missing, seen_by = _stages(session, project.id, workflows, required, circleci)
        approved = [a.digest for a, _ in approvals(session, project.id, "design") if a.environment == environment]
        return DeploySummary(
            source=delivery.provider,
            delivery=delivery.delivery_id,
            state=state,
            sha=facts.sha,
            ref=ref,
            url=url,
            actor=facts.actor,
            workflow_id=workflows[0] if len(workflows) == 1 else "",
            approved_digest=approved[-1] if approved else None,
            stages_ran=ran,
            stages_missing=missing,
            stages_seen_by=seen_by,
        )

    def report_step(
        self, environment: str, sha: str, state: str, url: str = "", workflow_id: str = "", github: GitHub | None = None
    ) -> StepReport:
        """A pipeline step says a deployment started, succeeded or failed: infragate creates the GitHub
        deployment for the commit (once) and adds the status, so GitHub shows the same history. The record
        that counts for the gate comes back as GitHub's signed deployment_status webhook."""
        env = self.design.environment(environment)
        if state not in DEPLOYMENT_STATES:
            raise UsageError(
                f"state '{state}' is not a deployment state", hint=f"Use one of {', '.join(DEPLOYMENT_STATES)}."
            )
        if not sha or len(sha) < 7 or any(c not in "0123456789abcdef" for c in sha.lower()):
            raise UsageError(f"'{sha}' is not a commit SHA", hint="Pass the full SHA ($CIRCLE_SHA1).")
        repository = self.design.project.repository
        with self.work.as_caller() as (session, project, user):
            require(user.name, self.work.roles_of(session, project, user), Action.REPORT_DEPLOYMENT)
            reporter = user.name
            audit_log.append(
                session,
                user.name,
                "deploy-step-reported",
                f"{project.name}/{environment}",
                {"sha": sha, "state": state, "url": url},
            )
        if github is None or repository is None:
            why = "the design names no repository" if repository is None else "INFRAGATE_GITHUB_TOKEN is not set"
            return StepReport(
                environment=environment, state=state, github_deployment=None, detail=f"not passed on to GitHub: {why}"
            )
        try:
            found = github.deployments(repository.github, sha=sha, environment=environment)
            deployment = (
                found[0]
                if found
                else github.create_deployment(
                    repository.github,
                    {
                        "ref": sha,
                        "environment": environment,
                        "auto_merge": False,
                        "required_contexts": [],  # the pipeline's checks ran before its deploy job did
                        "production_environment": env.settings.is_production,
                        "description": f"infragate: {self.design.project.name}/{environment}",
                        "payload": {
                            "circleci_workflow": workflow_id,
                            "infragate_project": self.design.project.name,
                            "reported_by": reporter,  # the deployment's creator is infragate's token: name who asked
                        },
                    },
                )
            )
            body: JsonObject = {"state": state, "environment": environment, "description": f"{state} (CircleCI)"}
            if url:
                body["log_url"] = url
            github.create_status(repository.github, int(deployment["id"]), body)
        except CicdApiError as failed:
            raise CicdApiError(
                f"the deployment step was logged, but GitHub refused it: {failed.message}", hint=failed.hint
            ) from None
        return StepReport(
            environment=environment,
            state=state,
            github_deployment=int(deployment["id"]),
            detail=f"GitHub deployment {deployment['id']}: {state}",
        )


def seen_of(delivery: Delivery, project_id: int | None) -> Seen:
    facts = delivery.facts
    job = facts.job if isinstance(facts, CiJob) else None
    return Seen(
        provider=delivery.provider,
        delivery_id=delivery.delivery_id[:128],
        body_digest=delivery.body_digest,
        event=delivery.event,
        project_id=project_id,
        happened_at=delivery.happened_at,
        workflow_id=(facts.workflow_id if isinstance(facts, CiJob) else "")[:64],
        sha=(facts.sha if facts is not None else "")[:64],
        job=(job or "")[:120],
        status=(facts.status if isinstance(facts, CiJob) else "")[:24],
    )


def _deployment_of(
    facts: CiJob | GitHubDeployment | None, environments: Mapping[str, object]
) -> tuple[str | None, bool]:
    """The environment a delivery reports the end of a deployment to (and whether it succeeded), or None."""
    if isinstance(facts, GitHubDeployment):
        if facts.environment in environments and facts.state in RECORDED_GITHUB_STATES:
            return facts.environment, facts.state == "success"
        return None, False
    if isinstance(facts, CiJob) and facts.job is not None and facts.status in RECORDED_CIRCLECI_STATES:
        env = next((name for name in environments if facts.job == stages.deploy_job(name)), None)
        return env, facts.status == "success"
    return None, False


def _stages(
    session: Session, project_id: int, workflows: list[str], required: tuple[str, ...], circleci: CircleCI | None
) -> tuple[list[str], list[str], str]:
    """Which required stages a workflow of the commit passed: from the job-completed deliveries, and from the
    CircleCI API when it is configured (approval jobs send no webhook). The best workflow counts."""
    outcomes = job_outcomes(session, project_id, workflows)
    seen_by = "webhooks"
    if circleci is not None and workflows:
        seen_by = "webhooks and the CircleCI API"
        for workflow in workflows:
            try:
                jobs = circleci.workflow_jobs(workflow)
            except CicdApiError:
                seen_by = "webhooks (the CircleCI API failed)"
                continue
            mine = outcomes.setdefault(workflow, {})
            for job in jobs:
                mine.setdefault(str(job.get("name")), str(job.get("status")))
    best: tuple[list[str], list[str]] = ([], list(required))
    for jobs_of_workflow in outcomes.values():
        ran = [job for job in required if jobs_of_workflow.get(job) == "success"]
        if len(ran) > len(best[0]):
            best = (ran, [job for job in required if job not in ran])
    return best[0], best[1], seen_by


class ReportDeployStep(Command[StepReport]):
    """A pipeline's deploy step reports (developer, infra or lead; a pipeline token): infragate creates the
    GitHub deployment and status for it. What the gate counts comes back as GitHub's signed webhook."""

    http = Http("POST", "/projects/{project}/environments/{environment}/deployment-steps", tag="deployments")
    project: str
    environment: str
    sha: str = Field(..., max_length=64, description="The commit ($CIRCLE_SHA1)")
    state: str = Field(..., description="in_progress, success, failure, error, queued, pending or inactive")
    url: str = Field("", max_length=2000, description="The pipeline job's URL ($CIRCLE_BUILD_URL)")
    workflow: str = Field("", max_length=64, description="The CircleCI workflow id ($CIRCLE_WORKFLOW_ID)")


@handles(ReportDeployStep)
def report_step(command: ReportDeployStep, caller: Caller, uow: UnitOfWork) -> StepReport:
    github = GitHub.from_environment()
    try:
        return Deployments(open_project(uow, command.project, caller)).report_step(
            command.environment, command.sha, command.state, command.url, command.workflow, github
        )
    finally:
        if github is not None:
            github.api.close()
