"""The design stage (ICP-1): the design passes the policy's rules, uses approved services, is documented from
its exact digest, and that digest is approved by a lead (and, for production, reviewed by security)."""

from __future__ import annotations

from infragate.model import Role
from infragate.workflow.gates import Criterion, Evidence
from infragate.workflow.records import DocsSummary, RunKind
from infragate.workflow.stages import Stage, StageSpec


def design_gate(e: Evidence) -> list[Criterion]:
    clean = not e.design_failures
    docs = e.runs.get(RunKind.DOCS)
    documented = docs is not None and docs.design_digest == e.design_digest
    criteria = [
        Criterion(
            Stage.DESIGN,
            "ICP-1.1",
            "the design passes every policy rule (or the failure is waived)",
            clean,
            "clean" if clean else f"{len(e.design_failures)} failing: {', '.join(e.design_failures[:5])}",
            Role.LEAD,
        ),
        Criterion(
            Stage.DESIGN,
            "ICP-1.2",
            "only approved AWS services, or an approver named for each other one",
            not e.unapproved_services,
            "approved services only"
            if not e.unapproved_services
            else f"not approved: {', '.join(e.unapproved_services)}",
            Role.LEAD,
        ),
        Criterion(
            Stage.DESIGN,
            "ICP-1.3",
            "documented: design docs generated from this exact digest",
            documented,
            f"generated {docs.at:%Y-%m-%d %H:%M}"
            if documented and docs
            else "no docs for this digest (`infragate design docs`)",
            Role.LEAD,
        ),
        Criterion(
            Stage.DESIGN,
            "ICP-1.4",
            "approved by a lead (this exact design digest)",
            bool(e.design_approvers),
            f"by {', '.join(e.design_approvers)}"
            if e.design_approvers
            else f"no lead approved {e.design_digest[:19]}…",
            Role.LEAD,
            decided_by_person=True,
        ),
    ]
    if e.production:
        criteria.append(
            Criterion(
                Stage.DESIGN,
                "ICP-1.4",
                "reviewed by security (this exact design digest)",
                bool(e.design_reviewers),
                f"by {', '.join(e.design_reviewers)}" if e.design_reviewers else "no security review of this digest",
                Role.SECURITY,
                decided_by_person=True,
            )
        )
    return criteria


STAGE = StageSpec(Stage.DESIGN.value, design_gate, summaries=(DocsSummary,))
