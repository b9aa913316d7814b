"""Gatekeeping: one environment's evidence, its gates and stage (a query that never writes), the stage kept
for the portfolio (a command of its own, which the bus runs after any command that changed evidence), and
launch when every gate holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from infragate.design import Design
from infragate.errors import RefusedError
from infragate.model import Role
from infragate.policy import Status, frameworks
from infragate.store import audit_log
from infragate.store.engagements import latest_engagement, unsettled_severe
from infragate.store.evidence import approvals, latest_run, record_approval, sign_offs
from infragate.store.findings import open_findings
from infragate.store.jobs import ensure_schedule
from infragate.store.memberships import members
from infragate.store.requirements import requirement_signatures
from infragate.store.schema import ChecklistItem, Environment, Project, SignOff, User
from infragate.store.timestamps import as_utc
from infragate.workflow import frameworks as judging
from infragate.workflow import gates
from infragate.workflow.bus import handles
from infragate.workflow.checklist import FRAMEWORKS, ChecklistSpec, checklist_for
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.messages import Command, Http, Items, Outcome, Query, Result
from infragate.workflow.project import ProjectWork, open_project
from infragate.workflow.roles import Action, require
from infragate.workflow.stages import Stage, current_stage, registry
from infragate.workflow.stages.pre_launch import audited_item, frameworks_item
from infragate.workflow.triage import SEVERE

WEEKLY_SCAN, WEEKLY_CRON = "weekly-scan", "0 2 * * 1"  # ICP-4.1's "regular": Mondays 02:00 UTC

# Until infragate runs as a server that authenticates people, who acted is whoever INFRAGATE_USER named:
# every gate verdict says so, so nobody mistakes a local evaluation for an attested one.
LOCAL_ATTESTATION = "local: not attested"
SERVER_ATTESTATION = "server: people authenticated"
ENVIRONMENT = "/projects/{project}/environments/{environment}"


# -- results ------------------------------------------------------------------------------------------------
class CriterionOut(Result):
    stage: str
    clause: str
    criterion: str
    verdict: str  # met, unmet, or not applicable
    detail: str
    role: str  # who is accountable, and who must act when it is unmet
    met: bool
    decided_by_person: bool = False

    @classmethod
    def of(cls, c: gates.Criterion) -> CriterionOut:
        return cls(
            stage=c.stage,
            clause=c.clause,
            criterion=c.text,
            verdict=c.verdict,
            detail=c.detail,
            role=c.role.value,
            met=c.met,
            decided_by_person=c.decided_by_person,
        )


class ChecklistItemOut(Result):
    key: str
    title: str
    area: str
    clause: str
    kind: str  # automatic (met by evidence) or manual (signed by its role)
    role: str
    status: str  # met, open, or not applicable
    detail: str

    @classmethod
    def of(cls, item: gates.ItemState) -> ChecklistItemOut:
        status = "open" if not item.met else "not applicable" if item.detail.startswith("not applicable") else "met"
        spec = item.spec
        return cls(
            key=spec.key,
            title=spec.title,
            area=spec.area,
            clause=spec.clause,
            kind="automatic" if spec.automatic else "manual",
            role=spec.role.value,
            status=status,
            detail=item.detail,
        )


class GateReport(Result):
    """Every gate of one environment: its stage, each criterion's verdict with its evidence, the checklist,
    and who must act next."""

    project: str
    environment: str
    stage: str
    attestation: str
    next_step: str
    criteria: list[CriterionOut]
    checklist: list[ChecklistItemOut]

    def unmet(self) -> list[CriterionOut]:
        return [c for c in self.criteria if not c.met]


class ChecklistOut(Items[ChecklistItemOut]):
    """Every checklist item of one environment, in template order."""


# -- the judgement: evidence, criteria, stage ---------------------------------------------------------------
@dataclass(frozen=True)
class Judgement:
    """One environment judged: the evidence, each stage's criteria, the stage it is in."""

    environment: str
    stage: str
    results: dict[str, list[gates.Criterion]]
    evidence: gates.Evidence
    attestation: str

    def unmet(self) -> list[gates.Criterion]:
        """Every unmet criterion, in stage order."""
        return [c for criteria in self.results.values() for c in criteria if not c.met]

    def next_step(self) -> str:
        """Who must act next: the first unmet criterion in stage order (a person's decision, or a run such as
        apply or verify), or the launch when every gate holds."""
        actionable = next(iter(self.unmet()), None)
        if actionable is not None:
            return f"{actionable.role.value}: {actionable.text} ({actionable.clause})"
        if self.stage == Stage.LAUNCHED:
            return "nobody: launched"
        return "lead: launch (every gate holds)"

    def report(self, project: str) -> GateReport:
        return GateReport(
            project=project,
            environment=self.environment,
            stage=self.stage,
            attestation=self.attestation,
            next_step=self.next_step(),
            criteria=[CriterionOut.of(c) for criteria in self.results.values() for c in criteria],
            checklist=[ChecklistItemOut.of(item) for item in self.evidence.checklist],
        )


def judge(work: ProjectWork, environment: str, today: date | None = None) -> Judgement:
    """Read the environment's evidence and judge every gate (reads only)."""
    evidence = gather(work, environment, today)
    results = registry().evaluate(evidence)
    attestation = SERVER_ATTESTATION if work.caller.authenticated else LOCAL_ATTESTATION
    return Judgement(environment, current_stage(results, evidence.launched), results, evidence, attestation)


def gather(work: ProjectWork, environment: str, today: date | None = None) -> gates.Evidence:
    """Everything the gates look at for one environment, from the store and the design."""
    design = work.design
    env = design.environment(environment)
    checked = [item.finding for item in work.uow.design_findings(design, environment, today)]
    failing = [finding for finding in checked if finding.status in (Status.FAIL, Status.ERROR)]
    design_results: dict[str, tuple[Status, ...]] = {}
    for finding in checked:
        design_results[finding.rule_id] = (*design_results.get(finding.rule_id, ()), finding.status)
    failures = tuple(f"{finding.rule_id} {finding.component}" for finding in failing)
    unapproved = tuple(sorted({finding.component for finding in failing if finding.clause == "ICP-1.2"}))
    stages = registry()
    with work.session() as (session, project):
        signed = [
            (a, u) for a, u in approvals(session, project.id, "design", design.digest) if a.environment == environment
        ]
        reviewed = [
            (a, u)
            for a, u in approvals(session, project.id, "design-review", design.digest)
            if a.environment == environment
        ]
        current = members(session, project.id)
        leads = {m.user for m in current if m.role == Role.LEAD.value}
        security = {m.user for m in current if m.role == Role.SECURITY.value}
        runs = {}
        for kind in stages.run_kinds:
            run = latest_run(session, project.id, environment, kind)
            if run is not None:
                at = as_utc(run.started_at)  # SQLite hands back naive UTC times
                runs[kind] = gates.RunFacts(kind, run.status, at, stages.parse_summary(kind, run.summary))
        open_items = open_findings(session, project.id, environment)
        severe = tuple(f"{f.rule_id} {f.component}" for f in open_items if f.severity in SEVERE)
        severe_scan = tuple(
            f"{f.rule_id} {f.component}" for f in open_items if f.severity in SEVERE and f.source == "scan"
        )
        open_rules = frozenset(f.rule_id for f in open_items if f.source == "audit")
        engagement = latest_engagement(session, project.id, environment)
        environment_row = session.scalars(
            select(Environment).where(Environment.project_id == project.id, Environment.name == environment)
        ).one()
        base = gates.Evidence(
            environment=environment,
            production=env.settings.is_production,
            design_digest=design.digest,
            design_failures=failures,
            unapproved_services=unapproved,
            # Only people who hold the role on the project now count, and a reviewer must be another
            # person than the approvers (separation of duties, even for someone holding both roles).
            design_approvers=tuple(u.name for _, u in signed if u.name in leads),
            design_reviewers=tuple(
                u.name for _, u in reviewed if u.name in security and u.name not in {a.name for _, a in signed}
            ),
            pentest_requested=design.project.pentest_requested,
            runs=runs,
            open_severe=severe,
            open_severe_scan=severe_scan,
            endpoints=tuple(str(e.url) for e in env.settings.endpoints),
            scan_max_age_days=env.settings.scan.max_age_days,
            open_rules=open_rules,
            launched=environment_row.stage == Stage.LAUNCHED.value,
            pentest_state=engagement.state if engagement is not None else None,
            pentest_closed_at=as_utc(engagement.events[-1].at)
            if engagement is not None and engagement.state == "closed" and engagement.events
            else None,
            pentest_unsettled=tuple(unsettled_severe(session, project.id, environment)),
            drillable=tuple(env.infrastructure.databases)
            + tuple(name for name, bucket in env.infrastructure.buckets.items() if bucket.versioning),
        )
        items = list(
            session.scalars(
                select(ChecklistItem).where(
                    ChecklistItem.project_id == project.id, ChecklistItem.environment == environment
                )
            )
        )
        signatures = sign_offs(session, [item.id for item in items])
        by_key = {item.key: item for item in items}
        specs = [spec for spec in checklist_for(design.path) if spec.key in by_key]
        states = {  # every item but the one the frameworks decide, which needs the others first
            spec.key: _item_state(spec, base, signatures[by_key[spec.key].id])
            for spec in specs
            if spec.evidence != FRAMEWORKS
        }
        manual_signed = requirement_signatures(session, project.id, environment, security)
    chosen = frameworks.chosen(design)
    inputs = judging.Inputs(
        evidence=base,
        criteria=judging.criteria_before_launch(stages.evaluate(base)),
        items=states,
        design_results=design_results,
        signatures=manual_signed,
        live=judging.live_rules(),
    )
    judged = tuple(judging.judge(framework, inputs) for framework in frameworks.catalog().values())
    chosen_ids = tuple(framework.id for framework in chosen)
    for spec in specs:
        if spec.evidence == FRAMEWORKS:
            states[spec.key] = frameworks_item(spec, [j for j in judged if j.id in chosen_ids])
    ordered = tuple(states[spec.key] for spec in specs)  # in template order
    return gates.Evidence(
        **{**base.__dict__, "checklist": ordered, "frameworks": judged, "chosen_frameworks": chosen_ids}
    )


def _item_state(
    spec: ChecklistSpec, evidence: gates.Evidence, signatures: list[tuple[SignOff, User]]
) -> gates.ItemState:
    if spec.evidence is not None:
        judge_item = registry().item_judges.get(spec.evidence)
        if judge_item is None:  # its stage is not registered: nothing can meet it
            return gates.ItemState(spec, False, f"no stage judges '{spec.evidence}'")
        return judge_item(spec, evidence)
    if spec.rules:
        return audited_item(spec, evidence)
    by_role = [(s, u) for s, u in signatures if s.role == spec.role.value]
    if not by_role:
        return gates.ItemState(spec, False, f"waiting for the {spec.role.value} role to sign")
    signed, user = by_role[-1]
    return gates.ItemState(spec, True, f"signed by {user.name} on {signed.at:%Y-%m-%d}: {signed.comment}")


# -- use-cases ----------------------------------------------------------------------------------------------
class EvaluateGates(Query[GateReport]):
    """Every stage's exit criteria, judged from the evidence."""

    http = Http("GET", ENVIRONMENT + "/gates", tag="gates")
    project: str
    environment: str


@handles(EvaluateGates)
def evaluate_gates(command: EvaluateGates, caller: Caller, uow: UnitOfWork) -> GateReport:
    work = open_project(uow, command.project, caller)
    return judge(work, command.environment).report(work.name)


class ShowChecklist(Query[ChecklistOut]):
    """The pre-launch checklist (ICP-5.1–5.3): each item met or open, by what evidence or whose signature."""

    http = Http("GET", ENVIRONMENT + "/checklist", tag="checklist")
    project: str
    environment: str


@handles(ShowChecklist)
def show_checklist(command: ShowChecklist, caller: Caller, uow: UnitOfWork) -> ChecklistOut:
    work = open_project(uow, command.project, caller)
    evidence = gather(work, command.environment)
    return ChecklistOut([ChecklistItemOut.of(item) for item in evidence.checklist])


class RefreshStage(Command[Outcome]):
    """Keep the environment's stage and next step for the portfolio; from deployment-testing on, an
    environment with endpoints gets its weekly OWASP scan schedule (ICP-4.1's "regular"), once."""

    project: str
    environment: str


@handles(RefreshStage)
def refresh_stage(command: RefreshStage, caller: Caller, uow: UnitOfWork) -> Outcome:
    work = open_project(uow, command.project, caller)
    if command.environment not in work.design.environments:
        return Outcome(result="no such environment")
    judged = judge(work, command.environment)
    next_step = judged.next_step()
    with work.session() as (session, project):
        row = session.scalars(
            select(Environment).where(Environment.project_id == project.id, Environment.name == command.environment)
        ).one()
        if (row.stage, row.next_step) != (judged.stage, next_step):
            row.stage, row.next_step = judged.stage, next_step
        weekly_scan(session, project, work.design, command.environment, judged.stage)
    return Outcome(result=judged.stage)


def weekly_scan(session: Session, project: Project, design: Design, environment: str, stage: str) -> bool:
    """ICP-4.1 says regular: from deployment-testing on, an environment with endpoints gets a weekly scan
    (Mondays 02:00 UTC), once; the design's ``schedules: {weekly-scan: …}`` changes it. True when made now."""
    order = registry().order
    reached = stage in order and order.index(stage) >= order.index(Stage.DEPLOYMENT_TESTING)
    if not reached or not design.environment(environment).settings.endpoints:
        return False
    created = ensure_schedule(
        session,
        project=project.name,
        environment=environment,
        name=WEEKLY_SCAN,
        kind="scan",
        cron=WEEKLY_CRON,
        keep=True,
    )
    if created:
        audit_log.append(
            session,
            "infragate",
            "schedule-created",
            f"{project.name}/{environment}",
            {"name": WEEKLY_SCAN, "cron": WEEKLY_CRON},
        )
    return created


class Launch(Command[Outcome]):
    """Launch an environment: a lead's decision, allowed only when every gate holds."""

    http = Http("POST", ENVIRONMENT + "/launch", tag="gates")
    project: str
    environment: str


@handles(Launch)
def launch(command: Launch, caller: Caller, uow: UnitOfWork) -> Outcome:
    work = open_project(uow, command.project, caller)
    environment = command.environment
    judged = judge(work, environment)
    with work.as_caller() as (session, project, user):
        role = require(user.name, work.roles_of(session, project, user), Action.LAUNCH)
        unmet = judged.unmet()
        if unmet:
            listed = "; ".join(f"{c.clause} {c.text} ({c.detail})" for c in unmet[:6])
            raise RefusedError(
                f"{project.name}/{environment} cannot launch: {len(unmet)} criteria unmet: {listed}",
                hint="`infragate gate check --env NAME` lists every unmet criterion and who must act.",
            )
        row = session.scalars(
            select(Environment).where(Environment.project_id == project.id, Environment.name == environment)
        ).one()
        row.stage = Stage.LAUNCHED.value
        record_approval(
            session,
            project_id=project.id,
            environment=environment,
            subject="launch",
            digest=work.design.digest,
            user=user,
            role=role.value,
        )
        audit_log.append(
            session, user.name, "launched", f"{project.name}/{environment}", {"digest": work.design.digest}
        )
    uow.evidence_changed(work.name, environment)
    return Outcome(result=Stage.LAUNCHED.value)
