"""Gatekeeping: the evidence of one environment, its gates and stage, and launch when every gate holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from infragate.errors import RefusedError
from infragate.model import Role
from infragate.policy import Status, check_design, frameworks
from infragate.store import audit_log
from infragate.store.engagements import latest_engagement, unsettled_severe
from infragate.store.evidence import approvals, latest_run, record_approval, sign_offs
from infragate.store.findings import open_findings
from infragate.store.jobs import ensure_schedule
from infragate.store.memberships import members
from infragate.store.requirements import requirement_signatures
from infragate.store.schema import ChecklistItem, Environment, Project
from infragate.store.timestamps import as_utc
from infragate.workflow import frameworks as judging
from infragate.workflow import gates
from infragate.workflow.base import WorkflowBase
from infragate.workflow.checklist import ChecklistSpec, checklist_for
from infragate.workflow.framework_results import FrameworkResult
from infragate.workflow.records import DrillSummary, RunKind, parse_summary
from infragate.workflow.roles import Action, require
from infragate.workflow.stages import ORDER, Stage
from infragate.workflow.triage import SEVERE

WEEKLY_SCAN, WEEKLY_CRON = "weekly-scan", "0 2 * * 1"  # ICP-4.1's "regular": Mondays 02:00 UTC

# Until infragate runs as a server that authenticates people, who acted is whoever INFRAGATE_USER named:
# every gate verdict says so, so nobody mistakes a local evaluation for an attested one.
LOCAL_ATTESTATION = "local: not attested"
SERVER_ATTESTATION = "server: people authenticated"


@dataclass(frozen=True)
class GateReport:
    environment: str
    stage: Stage
    results: dict[Stage, list[gates.Criterion]]
    evidence: gates.Evidence
    attestation: str = LOCAL_ATTESTATION

    def unmet(self) -> list[gates.Criterion]:
        """Every unmet criterion, in stage order."""
        return [c for criteria in self.results.values() for c in criteria if not c.met]

    def next_step(self) -> str:
        """Who must act next: the first unmet criterion in stage order (a person's decision, or a run such as
        apply or verify), or the launch when every gate holds."""
        actionable = next(iter(self.unmet()), None)
        if actionable is not None:
            return f"{actionable.role.value}: {actionable.text} ({actionable.clause})"
        if self.stage is Stage.LAUNCHED:
            return "nobody: launched"
        return "lead: launch (every gate holds)"


class Gatekeeping(WorkflowBase):
    # -- gates and launch -------------------------------------------------------------------------------
    def evidence(self, environment: str, today: date | None = None) -> gates.Evidence:
        env = self.design.environment(environment)
        checked = [item.finding for item in check_design(self.design, environment=environment, today=today)]
        failing = [finding for finding in checked if finding.status in (Status.FAIL, Status.ERROR)]
        design_results: dict[str, tuple[Status, ...]] = {}
        for finding in checked:
            design_results[finding.rule_id] = (*design_results.get(finding.rule_id, ()), finding.status)
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
            current = members(session, project.id)
            leads = {m.user for m in current if m.role == Role.LEAD.value}
            security = {m.user for m in current if m.role == Role.SECURITY.value}
            runs = {}
            for kind in (
                RunKind.DOCS,
                RunKind.APPLY,
                RunKind.VERIFY,
                RunKind.AUDIT,
                RunKind.TEST,
                RunKind.STRESS,
                RunKind.SCAN,
                RunKind.DEPLOY,
                RunKind.DRILL,
            ):
                run = latest_run(session, project.id, environment, kind.value)
                if run is not None:
                    at = as_utc(run.started_at)  # SQLite hands back naive UTC times
                    runs[kind] = gates.RunFacts(kind, run.status, at, parse_summary(kind, run.summary))
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
                design_digest=self.design.digest,
                design_failures=failures,
                unapproved_services=unapproved,
                # Only people who hold the role on the project now count, and a reviewer must be another
                # person than the approvers (separation of duties, even for someone holding both roles).
                design_approvers=tuple(u.name for _, u in signed if u.name in leads),
                design_reviewers=tuple(
                    u.name for _, u in reviewed if u.name in security and u.name not in {a.name for _, a in signed}
                ),
                pentest_requested=self.design.project.pentest_requested,
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
            specs = [spec for spec in checklist_for(self.design.path) if spec.key in by_key]
            states = {  # every item but the one the frameworks decide, which needs the others first
                spec.key: _item_state(spec, base, signatures[by_key[spec.key].id])
                for spec in specs
                if spec.evidence != "frameworks"
            }
            manual_signed = requirement_signatures(session, project.id, environment, security)
        chosen = frameworks.chosen(self.design)
        inputs = judging.Inputs(
            evidence=base,
            criteria=judging.criteria_before_launch(gates.evaluate(base)),
            items=states,
            design_results=design_results,
            signatures=manual_signed,
            live=judging.live_rules(),
        )
        judged = tuple(judging.judge(framework, inputs) for framework in frameworks.catalog().values())
        chosen_ids = tuple(framework.id for framework in chosen)
        for spec in specs:
            if spec.evidence == "frameworks":
                states[spec.key] = _frameworks_item(spec, [j for j in judged if j.id in chosen_ids])
        ordered = tuple(states[spec.key] for spec in specs)  # in template order
        return gates.Evidence(
            **{**base.__dict__, "checklist": ordered, "frameworks": judged, "chosen_frameworks": chosen_ids}
        )

    def gate_report(self, environment: str, today: date | None = None) -> GateReport:
        evidence = self.evidence(environment, today)
        results = gates.evaluate(evidence)
        stage = gates.current_stage(results, evidence.launched)
        with self.store.session() as session:
            project = self.register(session)
            row = session.scalars(
                select(Environment).where(Environment.project_id == project.id, Environment.name == environment)
            ).one()
            report = GateReport(
                environment, stage, results, evidence, SERVER_ATTESTATION if self.authenticated else LOCAL_ATTESTATION
            )
            next_step = report.next_step()  # the portfolio shows it without evaluating every gate again
            if (row.stage, row.next_step) != (stage.value, next_step):  # a page view is not a write
                row.stage, row.next_step = stage.value, next_step
                self._schedule_scans(session, project, environment, stage)
        return report

    def _schedule_scans(self, session: Session, project: Project, environment: str, stage: Stage) -> None:
        """ICP-4.1 says regular: from deployment-testing on, an environment with endpoints gets a weekly scan
        (Mondays 02:00 UTC), once; the design's ``schedules: {weekly-scan: …}`` changes it."""
        if ORDER.index(stage) < ORDER.index(Stage.DEPLOYMENT_TESTING):
            return
        if not self.design.environment(environment).settings.endpoints:
            return
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

    def launch(self, environment: str) -> GateReport:
        report = self.gate_report(environment)
        with self._session() as (session, project, user):
            role = require(user.name, self.roles_of(session, project, user), Action.LAUNCH)
            unmet = report.unmet()
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
                digest=self.design.digest,
                user=user,
                role=role.value,
            )
            audit_log.append(
                session, user.name, "launched", f"{project.name}/{environment}", {"digest": self.design.digest}
            )
        return self.gate_report(environment)


def _item_state(spec: ChecklistSpec, evidence: gates.Evidence, signatures: list[Any]) -> gates.ItemState:
    if spec.evidence == "verify-clean":
        verify, apply = evidence.runs.get(RunKind.VERIFY), evidence.runs.get(RunKind.APPLY)
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
    if spec.evidence == "restore-drill":
        return _drilled_item(spec, evidence)
    if spec.rules:
        return _audited_item(spec, evidence)
    by_role = [(s, u) for s, u in signatures if s.role == spec.role.value]
    if not by_role:
        return gates.ItemState(spec, False, f"waiting for the {spec.role.value} role to sign")
    signed, user = by_role[-1]
    return gates.ItemState(spec, True, f"signed by {user.name} on {signed.at:%Y-%m-%d}: {signed.comment}")


def _frameworks_item(spec: ChecklistSpec, chosen: list[FrameworkResult]) -> gates.ItemState:
    """ICP-5.3: met when every chosen framework (the organisation's policy among them) holds: no failing or
    unevaluated requirement, and every manual one signed by security."""
    blocking = [f"{result.id} {item}" for result in chosen for item in result.blocking()]
    if blocking:
        more = f" and {len(blocking) - 6} more" if len(blocking) > 6 else ""
        return gates.ItemState(spec, False, f"not yet: {', '.join(blocking[:6])}{more}")
    held = ", ".join(f"{r.id} ({r.counts['pass']} pass, {r.counts['not applicable']} not applicable)" for r in chosen)
    return gates.ItemState(spec, True, f"every requirement holds: {held}")


DRILL_VALID = timedelta(days=90)


def _drilled_item(spec: ChecklistSpec, evidence: gates.Evidence) -> gates.ItemState:
    """Met by the latest restore drill when it passed within the last 90 days."""
    drill = evidence.runs.get(RunKind.DRILL)
    if drill is None:
        return gates.ItemState(
            spec, False, f"no restore drill yet: infragate drill restore --env {evidence.environment}"
        )
    if not isinstance(drill.summary, DrillSummary):
        return gates.ItemState(spec, False, "the latest drill recorded no readable result: drill again")
    if datetime.now(UTC) - drill.at > DRILL_VALID:
        return gates.ItemState(spec, False, f"the latest drill ({drill.at:%Y-%m-%d}) is older than 90 days")
    if not drill.summary.passed:
        failed = [
            name for name, c in drill.summary.components.items() if not c.get("passed") and not c.get("not_applicable")
        ]
        return gates.ItemState(spec, False, f"the latest drill ({drill.at:%Y-%m-%d}) failed: {', '.join(failed)}")
    left_out = [name for name in evidence.drillable if name not in drill.summary.components]
    if left_out:
        return gates.ItemState(spec, False, f"the latest drill left out {', '.join(left_out)}: drill them all")
    measured = [
        f"{name} RTO {c['rto_minutes']:.1f} min, RPO {c['rpo_minutes']:.0f} min"
        for name, c in drill.summary.components.items()
        if c.get("rto_minutes") is not None and c.get("rpo_minutes") is not None
    ]
    where = " (embedded AWS: metadata only)" if drill.summary.embedded else ""
    return gates.ItemState(spec, True, f"drill on {drill.at:%Y-%m-%d}{where}: {'; '.join(measured)}")


def _audited_item(spec: ChecklistSpec, evidence: gates.Evidence) -> gates.ItemState:
    """Met only by positive, current evidence: an audit after the last apply in which every rule of the item
    was evaluated and passed. A waived (accepted) or unreadable result is not clear; an item whose rules all
    had nothing to judge (no databases, or production-only rules in staging) is not applicable."""
    summary, why = gates.current_audit(evidence)
    if summary is None:
        again = "" if RunKind.AUDIT not in evidence.runs else ": audit again"
        return gates.ItemState(spec, False, why + again)
    results = {rule: gates.audited(summary, rule, evidence.open_rules) for rule in spec.rules}
    unclear = sorted(rule for rule, result in results.items() if result == "unclear")
    if unclear:
        return gates.ItemState(spec, False, f"not clear: {', '.join(unclear)} failing, unreadable or only accepted")
    missing = sorted(rule for rule, result in results.items() if result == "missing")
    if missing:
        return gates.ItemState(spec, False, f"not evaluated by the latest audit: {', '.join(missing)}")
    passed = sorted(rule for rule, result in results.items() if result == "pass")
    if not passed:
        return gates.ItemState(spec, True, "not applicable: none of its rules had anything to judge here")
    return gates.ItemState(spec, True, f"clear in the latest audit ({', '.join(passed)} evaluated and passing)")
