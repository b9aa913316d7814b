"""Runs as evidence: what was planned, applied, verified, audited or documented, with its outcome and
findings. Every run is recorded with its typed summary (``records``)."""

from __future__ import annotations

from typing import TypeVar

from infragate.policy import LocatedFinding, Summary
from infragate.provision.executor import Result
from infragate.provision.executor import Status as ChangeStatus
from infragate.provision.service import Verification
from infragate.store import audit_log
from infragate.store.findings import Observed, ingest
from infragate.store.projects import finish_run, start_run
from infragate.store.schema import Run
from infragate.workflow.base import WorkflowBase
from infragate.workflow.records import (
    AuditSummary,
    ChangesSummary,
    RunSummary,
    ScanSummary,
    ShieldCoverage,
    StressSummary,
    TestSummary,
    VerifySummary,
)

S = TypeVar("S", bound=RunSummary)


class Runs(WorkflowBase):
    def _stamped(self, summary: S) -> S:
        """The summary with the design digest the run worked from."""
        return summary.model_copy(update={"design_digest": self.design.digest})

    def record_run(
        self,
        environment: str,
        summary: RunSummary,
        *,
        succeeded: bool,
        findings: list[Observed] | None = None,
        source: str | None = None,
        artifact_path: str | None = None,
    ) -> int:
        """Keep a finished run as evidence (with the report or document it produced); with findings, update
        the findings of that source (de-duplicated). Returns the run's id."""
        recorded = self._record(
            environment, summary, succeeded=succeeded, findings=findings, source=source, artifact_path=artifact_path
        )
        return recorded[0]

    def _record(
        self,
        environment: str,
        summary: S,
        *,
        succeeded: bool,
        findings: list[Observed] | None = None,
        source: str | None = None,
        artifact_path: str | None = None,
        complete: bool = True,
    ) -> tuple[int, S]:
        kind = summary.kind.value
        with self.store.session() as session:
            project = self.register(session)
            run = start_run(session, project, environment, kind)
            stamped = self._stamped(summary)
            if findings is not None:
                result = ingest(
                    session,
                    project_id=project.id,
                    environment=environment,
                    source=source or kind,
                    run_id=run.id,
                    observed=findings,
                    complete=complete,
                )
                stamped = stamped.model_copy(update={"findings": result.__dict__})
            finish_run(run, succeeded=succeeded, summary=stamped.model_dump(mode="json"), artifact_path=artifact_path)
            audit_log.append(
                session,
                self.actor,
                f"{kind}-recorded",
                f"{project.name}/{environment}",
                {"run": run.id, "succeeded": succeeded},
            )
            return run.id, stamped

    def begin_run(self, environment: str, summary: RunSummary) -> int:
        """A run that has started: "running" until ``end_run``. If its process dies, whoever takes the
        environment's lock over marks it "interrupted" (see store.locks)."""
        kind = summary.kind.value
        with self.store.session() as session:
            project = self.register(session)
            run = start_run(session, project, environment, kind)
            run.summary = self._stamped(summary).model_dump(mode="json")
            audit_log.append(session, self.actor, f"{kind}-started", f"{project.name}/{environment}", {"run": run.id})
            return run.id

    def end_run(self, run_id: int, summary: RunSummary, *, succeeded: bool) -> None:
        interrupted = isinstance(summary, ChangesSummary) and summary.interrupted
        with self.store.session() as session:
            run = session.get(Run, run_id)
            if run is None:
                return
            finish_run(run, succeeded=succeeded, summary=self._stamped(summary).model_dump(mode="json"))
            if interrupted:
                run.status = "interrupted"
            project = self.register(session)
            audit_log.append(
                session,
                self.actor,
                f"{run.kind}-recorded",
                f"{project.name}/{run.environment}",
                {"run": run.id, "succeeded": succeeded, "status": run.status},
            )

    def record_audit(self, environment: str, findings: list[LocatedFinding]) -> AuditSummary:
        """Keep a project-scoped audit as evidence: counts, per-rule results (what the checklist reads), and
        its failing findings in the store (de-duplicated across runs). Returns the summary as recorded, with
        what the findings did to the store (new, reopened, fixed, new high or critical)."""
        failing = [item for item in findings if item.finding.failing]
        observed = [
            Observed(
                fingerprint=item.fingerprint,
                rule_id=item.finding.rule_id,
                component=item.finding.component,
                severity=item.finding.severity.value,
                title=item.finding.title,
                message=item.finding.message,
                clause=item.finding.clause,
            )
            for item in failing
        ]
        results: dict[str, dict[str, int]] = {}
        for item in findings:
            counts = results.setdefault(item.finding.rule_id, {})
            counts[item.finding.status.value] = counts.get(item.finding.status.value, 0) + 1
        totals = Summary.of(item.finding for item in findings)
        summary = AuditSummary(
            by_status={status.value: count for status, count in totals.by_status.items()},
            failing=len(failing),
            rules=results,
        )
        return self._record(environment, summary, succeeded=True, findings=observed, source="audit")[1]

    def record_test(self, environment: str, summary: TestSummary, findings: list[Observed]) -> tuple[int, TestSummary]:
        """Keep an infrastructure test run (ICP-3.2) as evidence, its failing checks as findings (source
        ``test``, each with its clause): the run id, and the summary as recorded."""
        return self._record(environment, summary, succeeded=summary.passed, findings=findings, source="test")

    def record_stress(
        self, environment: str, summary: StressSummary, findings: list[Observed], results_path: str
    ) -> tuple[int, StressSummary]:
        """Keep a stress run (ICP-3.3) as evidence, with its results file; failing SLOs become findings."""
        return self._record(
            environment,
            summary,
            succeeded=summary.passed,
            findings=findings,
            source="stress",
            artifact_path=results_path,
        )

    def record_scan(
        self, environment: str, summary: ScanSummary, findings: list[Observed], report_path: str
    ) -> tuple[int, ScanSummary]:
        """Keep an OWASP scan (ICP-4.1) as evidence with its report. Its findings join the lifecycle (source
        ``scan``); an incomplete scan adds and reopens findings but marks none fixed: not seeing an issue on
        a page it never reached is no evidence that the issue is gone."""
        return self._record(
            environment,
            summary,
            succeeded=summary.complete,
            findings=findings,
            source="scan",
            artifact_path=report_path,
            complete=summary.complete,
        )

    def record_verification(self, environment: str, verification: Verification) -> int:
        """ICP-2.3 and ICP-4.2 evidence: what differs, and which public instances Shield does not cover."""
        summary = VerifySummary(
            aligned=verification.aligned,
            differs=[change.key for change in verification.plan.pending],
            shield=ShieldCoverage(
                subscribed=verification.shield_subscribed,
                uncovered=[instance.id for instance in verification.uncovered()],
            ),
        )
        return self.record_run(environment, summary, succeeded=verification.aligned)


def changes_summary(summary: ChangesSummary, result: Result) -> ChangesSummary:
    """The summary of an apply or destroy once it ended: how many changes ended in each status."""
    counts = {status.value: sum(1 for o in result.outcomes if o.status is status) for status in ChangeStatus}
    return summary.model_copy(update={"outcomes": counts, "interrupted": result.interrupted})
