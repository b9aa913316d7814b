"""The compliance report of one environment, as data: for every policy clause its status (met, unmet,
waived), the evidence, open findings by severity, and the non-compliance list with who is accountable
(ICP-6.1). ``reporting.compliance`` renders it as HTML and PDF; JSON is this data as is."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

from infragate.policy import Status, check_design, clause_index, frameworks
from infragate.store.evidence import approvals, runs
from infragate.workflow import audit_trail
from infragate.workflow.service import Workflow

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


def compliance_report(flow: Workflow, environment: str, today: date | None = None) -> dict[str, Any]:
    design = flow.design
    gate_report = flow.gate_report(environment, today)
    design_findings = [item.finding for item in check_design(design, environment=environment, today=today)]
    with flow.store.session() as session:
        project = flow.register(session)
        run_rows = [
            {
                "kind": run.kind,
                "status": run.status,
                "at": run.started_at.isoformat(timespec="seconds"),
                "summary": {k: v for k, v in run.summary.items() if k != "design_digest"},
                "artifact": run.artifact_path,
            }
            for run in runs(session, project.id, environment)
        ]
        approval_rows = [
            {
                "subject": approval.subject,
                "digest": approval.digest,
                "by": user.name,
                "role": approval.role,
                "at": approval.at.isoformat(timespec="seconds"),
                "comment": approval.comment,
            }
            for subject in ("design", "design-review", "plan", "launch")
            for approval, user in approvals(session, project.id, subject)
            if approval.environment == environment
        ]
    trail = audit_trail.verify(flow.store)
    checked, breaks = trail.checked, trail.breaks
    open_findings = flow.findings(environment)
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
            {
                "id": clause.id,
                "stage": clause.stage,
                "text": clause.text,
                "status": status,
                "accountable": CLAUSE_ROLES.get(clause.id, ", ".join(clause.roles)),
                "evidence": evidence,
            }
        )
    # One entry per unmet clause, with everything that keeps it unmet: the counts above and this list agree.
    non_compliance = [
        {
            "clause": clause["id"],
            "text": clause["text"],
            "missing": [
                e for e in clause["evidence"] if not e.startswith(("met:", "not applicable:", "design rules:"))
            ],
            "accountable": clause["accountable"],
        }
        for clause in clauses
        if clause["status"] == "unmet"
    ]
    by_severity = Counter(f.severity for f in open_findings)
    statuses = Counter(c["status"] for c in clauses)
    chosen = [f for f in gate_report.evidence.frameworks if f.id in gate_report.evidence.chosen_frameworks]
    return {
        "project": design.project.name,
        "client": design.project.client,
        "environment": environment,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "design_digest": design.digest,
        "frameworks": [
            {
                "id": f.id,
                "title": f.title,
                "version": f.version,
                "holds": f.holds,
                "counts": f.counts,
                "blocking": f.blocking(),
            }
            for f in chosen
        ],
        "stage": gate_report.stage.value,
        "attestation": gate_report.attestation,
        "summary": {
            "clauses": {status: statuses.get(status, 0) for status in ("met", "unmet", "waived")},
            "open_findings": {severity: by_severity.get(severity, 0) for severity in SEVERITIES},
            "may_launch": not gate_report.unmet(),
        },
        "clauses": clauses,
        "non_compliance": non_compliance,
        # The signed head of the audit log when this report was made: a later truncation contradicts it.
        "audit_checkpoint": trail.latest.to_json() if trail.latest is not None else None,
        "open_findings": [
            {
                "id": f.id,
                "severity": f.severity,
                "rule": f.rule_id,
                "component": f.component,
                "status": f.status,
                "due": f.due_at.date().isoformat() if f.due_at else None,
                "message": f.message,
            }
            for f in sorted(open_findings, key=lambda f: (SEVERITIES.index(f.severity), f.id))
        ],
        "approvals": approval_rows,
        "runs": run_rows,
        "checklist": [
            {"key": i.spec.key, "title": i.spec.title, "role": i.spec.role.value, "met": i.met, "detail": i.detail}
            for i in gate_report.evidence.checklist
        ],
    }


def framework_report(flow: Workflow, environment: str, framework_id: str) -> dict[str, Any]:
    """One compliance framework judged for an environment: each requirement's verdict (pass, fail, manual,
    not applicable, not evaluated), its evidence and the evidence's date (ICP-5.3)."""
    spec = frameworks.framework(framework_id)
    gate_report = flow.gate_report(environment)
    judged = next(f for f in gate_report.evidence.frameworks if f.id == spec.id)
    return {
        "project": flow.design.project.name,
        "client": flow.design.project.client,
        "environment": environment,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "design_digest": flow.design.digest,
        "attestation": gate_report.attestation,
        "chosen": spec.id in gate_report.evidence.chosen_frameworks,
        "framework": {
            "id": spec.id,
            "title": spec.title,
            "version": spec.version,
            "source": spec.source,
            "scope": spec.scope,
        },
        "holds": judged.holds,
        "counts": judged.counts,
        "requirements": [
            {
                "id": r.id,
                "title": r.title,
                "verdict": r.verdict,
                "manual": r.manual,
                "evidence": list(r.evidence),
                "at": r.at.isoformat(timespec="seconds") if r.at else None,
            }
            for r in judged.results
        ],
    }
