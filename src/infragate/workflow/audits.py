"""The audit use-case: read a live account (an environment's, an endpoint's, or embedded AWS) and judge it by
the policy; a project-scoped audit of an environment is kept as evidence (the run, its per-rule results and
its failing findings). The CLI parses options and renders; the API and the workers call this too."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING

from infragate.design import Design
from infragate.inventory import COLLECTORS, Scope, Snapshot, collect
from infragate.inventory.runner import Progress
from infragate.policy import LocatedFinding, check_live
from infragate.settings import Settings
from infragate.workflow.connections import connect, spec_for

if TYPE_CHECKING:
    from infragate.aws import AwsConnection
    from infragate.workflow.service import Workflow


@dataclass(frozen=True)
class AuditTarget:
    """What to audit. ``regions`` empty means the region of the AWS configuration (said in ``region_note``)."""

    design: Design | None = None
    environment: str | None = None
    endpoint: str | None = None
    regions: tuple[str, ...] = ()
    project_scope: bool = True  # with an environment: only the project's tagged resources


@dataclass(frozen=True)
class AuditResult:
    target: str  # e.g. "embedded AWS at http://127.0.0.1:… (eu-west-1)"
    scope: Scope
    snapshot: Snapshot
    findings: list[LocatedFinding]
    region_note: str = ""


def _quiet(target: str, scope: Scope, note: str) -> AbstractContextManager[Progress | None]:
    return nullcontext(None)


def connection_for(
    settings: Settings, target: AuditTarget, on_embedded_start: Callable[[], None] | None = None
) -> tuple[AwsConnection, tuple[str, ...], str]:
    """The AWS to read, the regions to read there, and where the region came from when nobody named it."""
    from infragate.aws import targets

    if target.design is not None and target.environment is not None:
        env = target.design.environment(target.environment).settings
        return connect(settings, env, on_embedded_start), (env.region,), ""
    regions, note = tuple(dict.fromkeys(target.regions)), ""
    if not regions:
        region, source = targets.configured_region()
        regions, note = (region,), f"Region {region} ({source}; choose others with --region)"
    spec = spec_for(settings, regions[0])
    if target.endpoint is not None:
        return targets.endpoint(spec, target.endpoint), regions, note
    return targets.embedded(settings.home, spec, on_embedded_start), regions, note


def audit(
    settings: Settings,
    target: AuditTarget,
    flow: Workflow | None = None,
    *,
    reading: Callable[[str, Scope, str], AbstractContextManager[Progress | None]] | None = None,
    parallelism: int | None = None,
    on_embedded_start: Callable[[], None] | None = None,
) -> AuditResult:
    """Connect (starting embedded AWS if needed), then read inside ``reading(target, scope, region note)``,
    a front end's progress display, then judge."""
    connection, regions, note = connection_for(settings, target, on_embedded_start)
    design, env = target.design, target.environment
    by_project = design is not None and env is not None and target.project_scope
    scope = Scope(design.project.name, env) if by_project and design is not None else Scope()
    with (reading or _quiet)(connection.spec.describe(), scope, note) as progress:
        snapshot = collect(connection, COLLECTORS, scope, regions=regions, progress=progress, parallelism=parallelism)
    findings = check_live(snapshot, design=design, environment=env)
    if by_project and flow is not None and env is not None:
        flow.record_audit(env, findings)
    return AuditResult(connection.spec.describe(), scope, snapshot, findings, note)
