"""The workflow service: every workflow action, done as a known user, checked against roles, logged.

The CLI resolves who is acting (``INFRAGATE_USER``, ``--as`` for admins) and calls this; the web app will
call the same methods after authenticating. Each method is one transaction and writes an audit-log entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from infragate.design import Design
from infragate.errors import UsageError
from infragate.model import Role
from infragate.policy import Status, check_design
from infragate.provision.executor import Result
from infragate.provision.executor import Status as ChangeStatus
from infragate.provision.service import Verification
from infragate.store import Store, audit_log
from infragate.store.evidence import (
    ItemSpec,
    approvals,
    ensure_items,
    latest_run,
    record_approval,
    sign,
    sign_offs,
)
from infragate.store.findings import FindingStatus, Observed, ingest, open_findings
from infragate.store.projects import (
    WaiverSpec,
    ensure_project,
    ensure_user,
    finish_run,
    record_design,
    start_run,
    sync_waivers,
)
from infragate.store.schema import ChecklistItem, Environment, Finding, FindingEvent, Project, User
from infragate.workflow import gates
from infragate.workflow.checklist import ChecklistSpec, checklist_for
from infragate.workflow.roles import Action, RoleError, require
from infragate.workflow.stages import Stage

SEVERE = ("critical", "high")
PROJECT_ROLES = (Role.LEAD, Role.INFRA, Role.DEVELOPER, Role.SECURITY)


@dataclass(frozen=True)
class GateReport:
    environment: str
    stage: Stage
    results: dict[Stage, list[gates.Criterion]]
    evidence: gates.Evidence

    def unmet(self) -> list[gates.Criterion]:
        return [c for criteria in self.results.values() for c in criteria if not c.met]


class Workflow:
    def __init__(self, store: Store, design: Design, actor: str, *, acting_as: str | None = None) -> None:
        self.store, self.design = store, design
        self.actor = actor
        self.acting_as = acting_as
        self._project_id: int | None = None  # registered once per service object, not on every call

    # -- identity ---------------------------------------------------------------------------------------
    @contextmanager
    def _session(self) -> Iterator[tuple[Session, Project, User]]:
        with self.store.session() as session:
            project = self.register(session)
            user = session.scalars(select(User).where(User.name == self.actor)).first()
            if user is None:
                raise UsageError(
                    f"{self.actor} is not a user of infragate",
                    hint="Project owners are registered by `infragate project init`; others by an admin with "
                    "`infragate user add NAME --role ROLE`. Set INFRAGATE_USER to your user name.",
                )
            if self.acting_as is not None:
                require(user.name, user.roles, Action.ACT_AS)
                impersonated = session.scalars(select(User).where(User.name == self.acting_as)).first()
                if impersonated is None:
                    raise UsageError(f"--as {self.acting_as}: no such user", hint="`infragate user list` shows them.")
                user = impersonated
            yield session, project, user

    def register(self, session: Session) -> Project:
        """The design's project in the store, registered (with its owners and checklist) on first use."""
        if self._project_id is not None:
            known = session.get(Project, self._project_id)
            if known is not None:
                return known
        design = self.design
        project = ensure_project(
            session, design.project.name, design.project.client, design.path, list(design.environments)
        )
        for role in PROJECT_ROLES:
            for person in design.project.owners.of(role):
                ensure_user(session, person, [role.value])
        specs = checklist_for(design.path)
        for env in design.environments:
            ensure_items(session, project.id, env, [_item(spec) for spec in specs])
        record_design(session, project, design.digest, _read(design.path))
        sync_waivers(
            session,
            project,
            [
                WaiverSpec(w.rule, w.component, w.reason, w.approver, datetime.combine(w.expires, time(), tzinfo=UTC))
                for w in design.waivers
            ],
        )
        self._project_id = project.id
        return project

    # -- approvals --------------------------------------------------------------------------------------
    def approve_design(self, environment: str, comment: str = "") -> str:
        """A lead approves, or security reviews, the design's current digest for an environment."""
        self.design.environment(environment)
        with self._session() as (session, project, user):
            roles = set(user.roles)
            if Role.LEAD.value in roles:
                subject, role = "design", require(user.name, roles, Action.APPROVE_DESIGN)
            else:
                subject, role = "design-review", require(user.name, roles, Action.REVIEW_DESIGN)
            record_approval(
                session,
                project_id=project.id,
                environment=environment,
                subject=subject,
                digest=self.design.digest,
                user=user,
                role=role.value,
                comment=comment,
            )
            audit_log.append(
                session,
                user.name,
                f"{subject}-approved",
                f"{project.name}/{environment}",
                {"digest": self.design.digest},
            )
            return "approved" if subject == "design" else "reviewed"

    def approve_plan(self, digest: str, environment: str, comment: str = "") -> None:
        with self._session() as (session, project, user):
            role = require(user.name, user.roles, Action.APPROVE_PLAN)
            record_approval(
                session,
                project_id=project.id,
                environment=environment,
                subject="plan",
                digest=digest,
                user=user,
                role=role.value,
                comment=comment,
            )
            audit_log.append(session, user.name, "plan-approved", f"{project.name}/{environment}", {"digest": digest})

    def plan_approver(self, digest: str) -> str | None:
        """A current lead who approved exactly this plan, if any (a lead removed from the design no longer counts)."""
        leads = set(self.design.project.owners.lead)
        with self.store.session() as session:
            project = self.register(session)
            found = [
                user.name
                for approval, user in approvals(session, project.id, "plan", digest)
                if Role.LEAD.value in user.roles
            ]
        return next((name for name in found if name in leads), None)

    # -- runs and findings ------------------------------------------------------------------------------
    def record_run(
        self,
        environment: str,
        kind: str,
        *,
        succeeded: bool,
        summary: dict[str, Any],
        findings: list[Observed] | None = None,
        source: str | None = None,
        artifact_path: str | None = None,
    ) -> int:
        """Keep a run as evidence (with the report or document it produced); with findings, update the
        findings of that source (de-duplicated)."""
        with self.store.session() as session:
            project = self.register(session)
            run = start_run(session, project, environment, kind)
            summary = {**summary, "design_digest": self.design.digest}
            if findings is not None:
                result = ingest(
                    session,
                    project_id=project.id,
                    environment=environment,
                    source=source or kind,
                    run_id=run.id,
                    observed=findings,
                )
                summary["findings"] = result.__dict__
            finish_run(run, succeeded=succeeded, summary=summary, artifact_path=artifact_path)
            audit_log.append(
                session,
                self.actor,
                f"{kind}-recorded",
                f"{project.name}/{environment}",
                {"run": run.id, "succeeded": succeeded},
            )
            return run.id

    def record_changes(self, environment: str, kind: str, plan_digest: str, result: Result) -> int:
        """An apply or destroy: the outcome of every change, counted by status."""
        counts = {status.value: sum(1 for o in result.outcomes if o.status is status) for status in ChangeStatus}
        summary = {"plan": plan_digest, "outcomes": counts, "interrupted": result.interrupted}
        return self.record_run(environment, kind, succeeded=result.succeeded, summary=summary)

    def record_verification(self, environment: str, verification: Verification) -> int:
        """ICP-2.3 and ICP-4.2 evidence: what differs, and which public instances Shield does not cover."""
        summary = {
            "aligned": verification.aligned,
            "differs": [change.key for change in verification.plan.pending],
            "shield": {
                "subscribed": verification.shield_subscribed,
                "uncovered": [instance.id for instance in verification.uncovered()],
            },
        }
        return self.record_run(environment, "verify", succeeded=verification.aligned, summary=summary)

    def findings(self, environment: str | None = None, *, include_closed: bool = False) -> list[Finding]:
        with self.store.session() as session:
            project = self.register(session)
            if not include_closed:
                return open_findings(session, project.id, environment)
            query = select(Finding).where(Finding.project_id == project.id)
            if environment:
                query = query.where(Finding.environment == environment)
            return list(session.scalars(query.order_by(Finding.id)))

    def _finding(self, session: Session, project: Project, finding_id: int) -> Finding:
        finding = session.get(Finding, finding_id)
        if finding is None or finding.project_id != project.id:
            raise UsageError(
                f"there is no finding {finding_id} in {project.name}", hint="`infragate findings list` shows them."
            )
        return finding

    def assign(self, finding_id: int, assignee: str) -> None:
        with self._session() as (session, project, user):
            require(user.name, user.roles, Action.ASSIGN_FINDING)
            finding = self._finding(session, project, finding_id)
            target = session.scalars(select(User).where(User.name == assignee)).first()
            if target is None:
                raise UsageError(f"{assignee} is not a user", hint="`infragate user list` shows them.")
            finding.assignee_id = target.id
            finding.status = FindingStatus.IN_PROGRESS.value
            finding.events.append(
                FindingEvent(
                    at=datetime.now(UTC), actor=user.name, status=finding.status, note=f"assigned to {assignee}"
                )
            )
            audit_log.append(session, user.name, "finding-assigned", f"{project.name}#{finding_id}", {"to": assignee})

    def resolve(self, finding_id: int, status: FindingStatus, note: str) -> None:
        """Mark fixed, verified (after fixed), false positive or accepted risk; high and critical ones, and
        every verification, only by security."""
        with self._session() as (session, project, user):
            finding = self._finding(session, project, finding_id)
            action = Action.ACCEPT_RISK if status is FindingStatus.ACCEPTED_RISK else Action.RESOLVE_FINDING
            if finding.severity in SEVERE or status is FindingStatus.VERIFIED:
                action = Action.RESOLVE_SEVERE_FINDING
            if status is FindingStatus.VERIFIED and finding.status != FindingStatus.FIXED.value:
                raise UsageError(
                    f"finding {finding_id} is {finding.status}: only a fixed finding can be verified",
                    hint="Mark it fixed first (or let the next run find it gone).",
                )
            require(user.name, user.roles, action)
            if not note.strip():
                raise UsageError("a resolution needs a note saying why", hint="Pass --note '…'.")
            finding.status = status.value
            finding.events.append(FindingEvent(at=datetime.now(UTC), actor=user.name, status=status.value, note=note))
            audit_log.append(
                session, user.name, f"finding-{status.value}", f"{project.name}#{finding_id}", {"note": note}
            )

    # -- checklist --------------------------------------------------------------------------------------
    def sign(self, environment: str, key: str, comment: str) -> None:
        with self._session() as (session, project, user):
            item = session.scalars(
                select(ChecklistItem).where(
                    ChecklistItem.project_id == project.id,
                    ChecklistItem.environment == environment,
                    ChecklistItem.key == key,
                )
            ).first()
            if item is None:
                raise UsageError(
                    f"no checklist item '{key}' for {environment}", hint="`infragate checklist show` lists them."
                )
            if item.automatic:
                raise UsageError(
                    f"'{key}' is met by evidence, not signed", hint="Produce the evidence (audit, verify)."
                )
            if item.role not in user.roles:
                raise RoleError(f"{user.name} may not sign '{key}': it is signed by the {item.role} role")
            if not comment.strip():
                raise UsageError("a sign-off needs a comment saying what was checked", hint="Pass --comment '…'.")
            sign(session, item, user, item.role, comment)
            audit_log.append(
                session, user.name, "checklist-signed", f"{project.name}/{environment}/{key}", {"comment": comment}
            )

    # -- gates and launch -------------------------------------------------------------------------------
    def evidence(self, environment: str, today: date | None = None) -> gates.Evidence:
        env = self.design.environment(environment)
        failing = [
            item.finding
            for item in check_design(self.design, environment=environment, today=today)
            if item.finding.status in (Status.FAIL, Status.ERROR)
        ]
        failures = tuple(f"{finding.rule_id} {finding.component}" for finding in failing)
        unapproved = tuple(sorted({finding.component for finding in failing if finding.clause == "ICP-1.2"}))
        with self.store.session() as session:
            project = self.register(session)
            signed = [
                (a, u)
                for a, u in approvals(session, project.id, "design", self.design.digest)
                if a.environment == environment
            ]
            reviewed = [
                (a, u)
                for a, u in approvals(session, project.id, "design-review", self.design.digest)
                if a.environment == environment
            ]
            runs = {}
            for kind in ("docs", "apply", "verify", "audit"):
                run = latest_run(session, project.id, environment, kind)
                if run is not None:
                    runs[kind] = gates.RunFacts(
                        kind, run.status == "succeeded", run.started_at, run.summary, run.summary.get("design_digest")
                    )
            open_items = open_findings(session, project.id, environment)
            severe = tuple(f"{f.rule_id} {f.component}" for f in open_items if f.severity in SEVERE)
            open_rules = frozenset(f.rule_id for f in open_items if f.source == "audit")
            environment_row = session.scalars(
                select(Environment).where(Environment.project_id == project.id, Environment.name == environment)
            ).one()
            base = gates.Evidence(
                environment=environment,
                production=env.settings.is_production,
                design_digest=self.design.digest,
                design_failures=failures,
                unapproved_services=unapproved,
                design_approvers=tuple(u.name for _, u in signed),
                design_reviewers=tuple(u.name for _, u in reviewed),
                pentest_requested=self.design.project.pentest_requested,
                runs=runs,
                open_severe=severe,
                open_rules=open_rules,
                launched=environment_row.stage == Stage.LAUNCHED.value,
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
            states = tuple(  # in template order
                _item_state(spec, base, signatures[by_key[spec.key].id])
                for spec in checklist_for(self.design.path)
                if spec.key in by_key
            )
        return gates.Evidence(**{**base.__dict__, "checklist": states})

    def gate_report(self, environment: str, today: date | None = None) -> GateReport:
        evidence = self.evidence(environment, today)
        results = gates.evaluate(evidence)
        stage = gates.current_stage(results, evidence.launched)
        with self.store.session() as session:
            project = self.register(session)
            row = session.scalars(
                select(Environment).where(Environment.project_id == project.id, Environment.name == environment)
            ).one()
            row.stage = stage.value
        return GateReport(environment, stage, results, evidence)

    def launch(self, environment: str) -> GateReport:
        report = self.gate_report(environment)
        with self._session() as (session, project, user):
            role = require(user.name, user.roles, Action.LAUNCH)
            unmet = report.unmet()
            if unmet:
                listed = "; ".join(f"{c.clause} {c.text} ({c.detail})" for c in unmet[:6])
                raise UsageError(
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
                digest=self.design.digest,
                user=user,
                role=role.value,
            )
            audit_log.append(
                session, user.name, "launched", f"{project.name}/{environment}", {"digest": self.design.digest}
            )
        return self.gate_report(environment)


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""  # a design parsed from text (tests, the API) has no file to keep


def _item(spec: ChecklistSpec) -> ItemSpec:
    return ItemSpec(spec.key, spec.title, spec.clause, spec.role.value, spec.automatic)


UNCLEAR = (Status.FAIL, Status.ERROR, Status.WAIVED)


def _item_state(spec: ChecklistSpec, evidence: gates.Evidence, signatures: list[Any]) -> gates.ItemState:
    if spec.evidence == "verify-clean":
        verify, apply = evidence.runs.get("verify"), evidence.runs.get("apply")
        current = verify is not None and (apply is None or verify.at >= apply.at)
        met = current and verify is not None and verify.succeeded
        detail = (
            "the latest verify is clean"
            if met
            else ("no clean verify" if current else "not verified since the last apply")
        )
        return gates.ItemState(spec, met, detail)
    if spec.evidence == "shield-covered":
        met, detail = gates.shield_covered(evidence)
        return gates.ItemState(spec, met, detail)
    if spec.evidence == "no-open-severe":
        return gates.ItemState(
            spec,
            not evidence.open_severe,
            "none open" if not evidence.open_severe else ", ".join(evidence.open_severe[:5]),
        )
    if spec.rules:
        return _audited_item(spec, evidence)
    by_role = [(s, u) for s, u in signatures if s.role == spec.role.value]
    if not by_role:
        return gates.ItemState(spec, False, f"waiting for the {spec.role.value} role to sign")
    signed, user = by_role[-1]
    return gates.ItemState(spec, True, f"signed by {user.name} on {signed.at:%Y-%m-%d}: {signed.comment}")


def _audited_item(spec: ChecklistSpec, evidence: gates.Evidence) -> gates.ItemState:
    """Met only by positive, current evidence: an audit after the last apply in which every rule of the item
    was evaluated and passed. A waived (accepted) or unreadable result is not clear; an item whose rules all
    had nothing to judge (no databases, or production-only rules in staging) is not applicable."""
    audit, apply = evidence.runs.get("audit"), evidence.runs.get("apply")
    if audit is None:
        return gates.ItemState(spec, False, "no audit of this environment yet")
    if apply is not None and audit.at < apply.at:
        return gates.ItemState(spec, False, "the latest audit is older than the latest apply: audit again")
    results = audit.summary.get("rules")
    if not isinstance(results, dict):
        return gates.ItemState(spec, False, "the latest audit recorded no rule results: audit again")
    counts = {rule: results.get(rule) or {} for rule in spec.rules}
    open_now = sorted(set(spec.rules) & evidence.open_rules)
    unclear = sorted(r for r, c in counts.items() if any(c.get(s.value) for s in UNCLEAR)) or open_now
    if unclear:
        return gates.ItemState(spec, False, f"not clear: {', '.join(unclear)} failing, unreadable or only accepted")
    missing = sorted(rule for rule, c in counts.items() if not c)
    if missing:
        return gates.ItemState(spec, False, f"not evaluated by the latest audit: {', '.join(missing)}")
    passed = sorted(rule for rule, c in counts.items() if c.get(Status.PASS.value))
    if not passed:
        return gates.ItemState(spec, True, "not applicable: none of its rules had anything to judge here")
    return gates.ItemState(spec, True, f"clear in the latest audit ({', '.join(passed)} evaluated and passing)")
