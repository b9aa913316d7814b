"""The audit use-case: read a live account (an environment's, an endpoint's, or embedded AWS) and judge it by
the policy; a project-scoped audit of an environment is kept as evidence (the run, its per-rule results and
its failing findings). Local mode and the workers run it (it reads AWS from where it runs)."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from infragate.inventory import COLLECTORS, Scope, Snapshot, collect
from infragate.policy import LocatedFinding, Summary, check_live
from infragate.store.findings import Observed
from infragate.workflow.bus import handles
from infragate.workflow.connections import spec_for
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.messages import Command, Result
from infragate.workflow.project import ProjectWork, open_project
from infragate.workflow.provisioning import environment_aws
from infragate.workflow.records import AuditSummary


class Audited(Result):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    target: str  # e.g. "embedded AWS at http://127.0.0.1:… (eu-west-1)"
    scope: Scope
    snapshot: Snapshot
    findings: list[LocatedFinding]
    region_note: str = ""  # where the region came from, when nobody named one
    recorded: AuditSummary | None = None  # the evidence kept (a project's environment only)


class Audit(Command[Audited]):
    """Audit an environment of a project (its AWS, region and settings; only the project's tagged resources
    unless ``project_scope`` is off), or, with no project, an account: ``endpoint`` or embedded AWS, in
    ``regions`` (default: the configured region)."""

    project: str | None = None
    environment: str | None = None
    endpoint: str | None = None
    regions: tuple[str, ...] = ()
    project_scope: bool = True
    parallelism: int | None = Field(None, ge=1, le=64)


@handles(Audit)
def audit(command: Audit, caller: Caller, uow: UnitOfWork) -> Audited:
    from infragate.aws import targets

    settings = uow.settings
    work = open_project(uow, command.project, caller) if command.project is not None else None
    environment = command.environment
    if work is not None and environment is not None:
        env = work.design.environment(environment).settings
        connection, note = environment_aws(uow, env), ""
        regions: tuple[str, ...] = (env.region,)
    else:
        regions, note = tuple(dict.fromkeys(command.regions)), ""
        if not regions:
            region, source = targets.configured_region()
            regions, note = (region,), f"Region {region} ({source}; choose others with --region)"
        spec = spec_for(settings, regions[0])
        if command.endpoint is not None:
            connection = targets.endpoint(spec, command.endpoint)
        else:
            connection = targets.embedded(settings.home, spec, uow.on_embedded_start)
    by_project = work is not None and environment is not None and command.project_scope
    scope = Scope(work.name, environment) if by_project and work is not None and environment else Scope()
    key = (work.name, environment) if by_project and work is not None and environment else None
    if key is not None and key in uow.live and command.parallelism is None:
        snapshot = uow.live[key]  # read by a verify of this unit of work, and unchanged since
    else:
        if note:
            uow.view.log(note)
        with uow.view.reading(f"{connection.spec.describe()}: {scope.describe()}") as progress:
            snapshot = collect(
                connection, COLLECTORS, scope, regions=regions, progress=progress, parallelism=command.parallelism
            )
    findings = check_live(
        snapshot, design=work.design if work is not None else None, environment=environment if work else None
    )
    recorded = record_audit(work, environment, findings) if by_project and work is not None and environment else None
    return Audited(
        target=connection.spec.describe(),
        scope=scope,
        snapshot=snapshot,
        findings=findings,
        region_note=note,
        recorded=recorded,
    )


def record_audit(work: ProjectWork, environment: str, findings: list[LocatedFinding]) -> AuditSummary:
    """Keep a project-scoped audit as evidence: counts, per-rule results (what the checklist reads), and its
    failing findings in the store (de-duplicated across runs). Returns the summary as recorded, with what the
    findings did to the store (new, reopened, fixed, new high or critical)."""
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
    return work.record(environment, summary, succeeded=True, findings=observed, source="audit")[1]
