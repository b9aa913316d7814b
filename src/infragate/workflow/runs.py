"""Runs as evidence: what was planned, applied, verified, audited or documented, with its outcome and findings."""

from __future__ import annotations

from typing import Any

from infragate.provision.executor import Result
from infragate.provision.executor import Status as ChangeStatus
from infragate.provision.service import Verification
from infragate.store import audit_log
from infragate.store.findings import Observed, ingest
from infragate.store.projects import finish_run, start_run
from infragate.workflow.base import WorkflowBase


class Runs(WorkflowBase):
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
