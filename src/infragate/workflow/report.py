"""The compliance report of one environment, as data: for every policy clause its status (met, unmet,
waived), the evidence, open findings by severity, and the non-compliance list with who is accountable
(ICP-6.1); and one compliance framework's report (ICP-5.3). ``reporting`` renders them as HTML, PDF and CSV;
JSON is this data as is."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

from infragate.policy import Status, clause_index, frameworks
from infragate.reporting.compliance_model import (
    ApprovalLine,
    ChecklistLine,
    ClauseLine,
    ComplianceReport,
    FrameworkLine,
    FrameworkReport,
    FrameworkSpec,
    NonCompliance,
    OpenFinding,
    ReportSummary,
    RequirementLine,
    RunLine,
)
from infragate.store.evidence import approvals, runs
from infragate.store.findings import open_findings
from infragate.workflow import audit_trail
from infragate.workflow.bus import handles
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.gatekeeping import judge
from infragate.workflow.messages import Http, Query
from infragate.workflow.project import ProjectWork, open_project

SATISFIED = ("met:", "not applicable:", "design rules:")  # evidence lines that are not what is missing
SEVERITIES = ("critical", "high", "medium", "low", "info")
CLAUSE_ROLES = {
    "ICP-1.4": "lead, security",
    "ICP-R2": "developer",
    "ICP-R3": "security",
    "ICP-3.1": "developer",
    "ICP-3.2": "developer",
    "ICP-3.3": "developer",
    "ICP-4.1": "security",
    "ICP-4.3": "security",
    "ICP-4.4": "security",
    "ICP-5.3": "security",
}


ENVIRONMENT = "/projects/{project}/environments/{environment}"


class GetComplianceReport(Query[ComplianceReport]):
    """The compliance report of an environment (ICP-6.1); the API also serves it as HTML and PDF."""

    http = Http("GET", ENVIRONMENT + "/report", tag="reports", custom=True)
    project: str
    environment: str


@handles(GetComplianceReport)
def get_compliance_report(command: GetComplianceReport, caller: Caller, uow: UnitOfWork) -> ComplianceReport:
    return compliance_report(open_project(uow, command.project, caller), command.environment)


def compliance_report(work: ProjectWork, environment: str, today: date | None = None) -> ComplianceReport:
    design = work.design
    gate_report = judge(work, environment, today)
    design_findings = [item.finding for item in work.uow.design_findings(design, environment, today)]
    with work.session() as (session, project):
        run_rows = [
            RunLine(
                kind=run.kind,
                status=run.status,
                at=run.started_at.isoformat(timespec="seconds"),
                summary={k: v for k, v in run.summary.items() if k != "design_digest"},
                artifact=run.artifact_path,
            )
            for run in runs(session, project.id, environment)
        ]
        approval_rows = [
            ApprovalLine(
                subject=approval.subject,
                digest=approval.digest,
                by=user.name,
                role=approval.role,
                at=approval.at.isoformat(timespec="seconds"),
                comment=approval.comment,
            )
            for subject in ("design", "design-review", "plan", "launch")
            for approval, user in approvals(session, project.id, subject)
            if approval.environment == environment
        ]
        still_open = [
            OpenFinding(
                id=f.id,
                severity=f.severity,
                rule=f.rule_id,
                component=f.component,
                status=f.status,
                due=f.due_at.date().isoformat() if f.due_at else None,
                message=f.message,
            )
            for f in open_findings(session, project.id, environment)
        ]
    trail = audit_trail.verify(work.store)
    checked, breaks = trail.checked, trail.breaks
    criteria = [c for stage_criteria in gate_report.results.values() for c in stage_criteria]
    clauses = []
    for clause in clause_index().values():
        cited = [c for c in criteria if c.clause == clause.id]
        rules = [f for f in design_findings if f.clause == clause.id]
        failing = [f for f in rules if f.status in (Status.FAIL, Status.ERROR)]
        waived = [f for f in rules if f.status is Status.WAIVED]
        evidence = [f"{c.verdict}: {c.text} — {c.detail}" for c in cited]
        not_applicable = [f for f in rules if f.status is Status.NOT_APPLICABLE]
        passed = [f for f in rules if f.status is Status.PASS]
        evidence += [f"failing: {f.rule_id} {f.component}: {f.message}" for f in failing]
        if rules:
            evidence.append(
                f"design rules: {len(passed)} pass, {len(failing)} fail, {len(waived)} waived, "
                f"{len(not_applicable)} not applicable"
            )
        if clause.id == "ICP-6.1":
            intact = not breaks
            evidence.append(f"audit log: {checked} entries, {'intact' if intact else f'{len(breaks)} break(s)'}")
            if trail.latest is not None:
                head = trail.latest.head
                evidence.append(
                    f"audit log head signed: entry {head.head_id}, {head.head_hash[:16]}… ({head.count} entries)"
                )
            elif not trail.anchored:
                evidence.append("audit log not anchored: no signing key, so truncation cannot be ruled out")
            cited_ok = intact
        else:
            cited_ok = all(c.met for c in cited)
        if failing or not cited_ok:
            status = "unmet"
        elif waived:
            status = "waived"
        elif cited or passed or clause.id == "ICP-6.1":
            status = "met"
        else:
            status = "unmet"
            evidence.append("no evidence yet")
        clauses.append(
            ClauseLine(
                id=clause.id,
                stage=clause.stage,
                text=clause.text,
                status=status,
                accountable=CLAUSE_ROLES.get(clause.id, ", ".join(clause.roles)),
                evidence=evidence,
            )
        )
    # One entry per unmet clause, with everything that keeps it unmet: the counts above and this list agree.
    non_compliance = [
        NonCompliance(
            clause=clause.id,
            text=clause.text,
            missing=[e for e in clause.evidence if not e.startswith(SATISFIED)],
            accountable=clause.accountable,
        )
        for clause in clauses
        if clause.status == "unmet"
    ]
    by_severity = Counter(f.severity for f in still_open)
    statuses = Counter(c.status for c in clauses)
    chosen = [f for f in gate_report.evidence.frameworks if f.id in gate_report.evidence.chosen_frameworks]
    return ComplianceReport(
        project=design.project.name,
        client=design.project.client,
        environment=environment,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        design_digest=design.digest,
        frameworks=[
            FrameworkLine(
                id=f.id, title=f.title, version=f.version, holds=f.holds, counts=f.counts, blocking=f.blocking()
            )
            for f in chosen
        ],
        stage=gate_report.stage,
        attestation=gate_report.attestation,
        summary=ReportSummary(
            clauses={status: statuses.get(status, 0) for status in ("met", "unmet", "waived")},
            open_findings={severity: by_severity.get(severity, 0) for severity in SEVERITIES},
            may_launch=not gate_report.unmet(),
        ),
        clauses=clauses,
        non_compliance=non_compliance,
        # The signed head of the audit log when this report was made: a later truncation contradicts it.
        audit_checkpoint=trail.latest.to_json() if trail.latest is not None else None,
        open_findings=sorted(still_open, key=lambda f: (SEVERITIES.index(f.severity), f.id)),
        approvals=approval_rows,
        runs=run_rows,
        checklist=[
            ChecklistLine(key=i.spec.key, title=i.spec.title, role=i.spec.role.value, met=i.met, detail=i.detail)
            for i in gate_report.evidence.checklist
        ],
    )


class GetFrameworkReport(Query[FrameworkReport]):
    """Each requirement of the framework judged for the environment: pass, fail, manual, not applicable or not
    evaluated, with its evidence and date; the API also serves it as HTML, PDF and CSV."""

    http = Http("GET", ENVIRONMENT + "/frameworks/{framework}", tag="compliance", custom=True)
    project: str
    environment: str
    framework: str


@handles(GetFrameworkReport)
def get_framework_report(command: GetFrameworkReport, caller: Caller, uow: UnitOfWork) -> FrameworkReport:
    work = open_project(uow, command.project, caller)
    environment = command.environment
    spec = frameworks.framework(command.framework)
    gate_report = judge(work, environment)
    judged = next(f for f in gate_report.evidence.frameworks if f.id == spec.id)
    return FrameworkReport(
        project=work.name,
        client=work.design.project.client,
        environment=environment,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        design_digest=work.design.digest,
        attestation=gate_report.attestation,
        chosen=spec.id in gate_report.evidence.chosen_frameworks,
        framework=FrameworkSpec(
            id=spec.id, title=spec.title, version=spec.version, source=spec.source, scope=spec.scope
        ),
        holds=judged.holds,
        counts=judged.counts,
        requirements=[
            RequirementLine(
                id=r.id,
                title=r.title,
                verdict=r.verdict,
                manual=r.manual,
                evidence=list(r.evidence),
                at=r.at.isoformat(timespec="seconds") if r.at else None,
            )
            for r in judged.results
        ],
    )
