"""What each kind of run records as evidence: one typed summary per run kind, with a schema version.

The built-in run kinds are defined here; each stage declares the ones it records (``stages``), and a
registered stage may add its own. The store keeps a summary as JSON, and the gates read it back through these
models (never by JSON keys written somewhere else). A stored summary that does not validate (another schema
version, a hand-edited row) reads as None: evidence the gates cannot use.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1


class RunKind(StrEnum):
    PLAN = "plan"
    APPLY = "apply"
    DESTROY = "destroy"
    VERIFY = "verify"
    AUDIT = "audit"
    DOCS = "docs"
    TEST = "test"
    STRESS = "stress"
    SCAN = "scan"
    DEPLOY = "deploy"
    CICD = "cicd"
    PENTEST = "pentest"
    DRILL = "drill"


class RunSummary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: ClassVar[str]

    schema_version: Literal[1] = 1  # SCHEMA_VERSION; a new version adds a model, old rows stay readable
    design_digest: str | None = None  # the design the run worked from (set by the workflow)
    findings: dict[str, int] | None = None  # how the run's findings changed the store (new, reopened, fixed, …)


class PlanSummary(RunSummary):
    kind: ClassVar[str] = RunKind.PLAN
    plan: str
    pending: int


class ChangesSummary(RunSummary):
    """An apply or destroy: its plan, and how many changes ended in each status."""

    kind: ClassVar[str] = RunKind.APPLY
    plan: str
    pending: int = 0
    outcomes: dict[str, int] = Field(default_factory=dict)
    interrupted: bool = False
    interrupted_because: str = ""


class DestroySummary(ChangesSummary):
    kind: ClassVar[str] = RunKind.DESTROY


class ShieldCoverage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    subscribed: bool
    uncovered: list[str] = Field(default_factory=list)


class VerifySummary(RunSummary):
    """ICP-2.3 and ICP-4.2: what differs from the design, and which public instances Shield does not cover."""

    kind: ClassVar[str] = RunKind.VERIFY
    aligned: bool
    differs: list[str] = Field(default_factory=list)
    shield: ShieldCoverage


class AuditSummary(RunSummary):
    """Counts by status, failing findings, and per rule how many findings of each status (what the pre-launch
    checklist reads: a rule evaluated and passing, failing, waived, unreadable or not applicable)."""

    kind: ClassVar[str] = RunKind.AUDIT
    by_status: dict[str, int] = Field(default_factory=dict)
    failing: int = 0
    rules: dict[str, dict[str, int]] = Field(default_factory=dict)


class DocsSummary(RunSummary):
    kind: ClassVar[str] = RunKind.DOCS


class TestSummary(RunSummary):
    """ICP-3.2: the infrastructure tests of one environment. Not applicable checks are listed, never counted
    as passes; the run passed only when nothing failed or errored and something was judged."""

    __test__ = False  # not a pytest test class
    kind: ClassVar[str] = RunKind.TEST
    passed: bool
    counts: dict[str, int] = Field(default_factory=dict)  # per verdict
    failing: list[str] = Field(default_factory=list)  # area:check:target
    not_applicable: list[str] = Field(default_factory=list)
    duration_ms: float = 0.0


class SloRecord(BaseModel):
    """One SLO as a stress run judged it: met or not, what was measured (None: nothing to measure) and the
    target."""

    model_config = ConfigDict(frozen=True)
    passed: bool
    measured: float | None = None
    target: float = 0.0


class StressSummary(RunSummary):
    """ICP-3.3: a stress run's SLO verdicts at the peak load (each with its measured value and target), what
    the hold measured, and the slowest request names."""

    kind: ClassVar[str] = RunKind.STRESS
    passed: bool
    interrupted: bool = False
    profile: str = "ramp"
    peak_rps: float = 0.0
    requests: int = 0
    hold: dict[str, float] = Field(default_factory=dict)
    verdicts: dict[str, SloRecord] = Field(default_factory=dict)
    slowest: list[str] = Field(default_factory=list)
    not_evaluated: str = ""  # why the run measured nothing to judge (then it is no one's failure, and no evidence)


class ScanSummary(RunSummary):
    """ICP-4.1: an OWASP scan of the environment's declared endpoints: which it covered (and how), whether it
    was complete (only a complete scan marks earlier findings fixed or meets the gate), and what it found."""

    kind: ClassVar[str] = RunKind.SCAN
    engine: str
    profile: str
    complete: bool
    endpoints: list[str] = Field(default_factory=list)  # every declared endpoint at the time of the scan
    covered: list[str] = Field(default_factory=list)  # those scanned to the end
    counts: dict[str, int] = Field(default_factory=dict)  # findings by severity
    off_scope: int = 0  # links seen and not followed
    duration_s: float = 0.0


class DeploySummary(RunSummary):
    """ICP-3.1: a deployment as a verified webhook reported it: where, which commit, by whom, through which
    pipeline, and which of the policy's stages that pipeline was seen to pass before it deployed."""

    kind: ClassVar[str] = RunKind.DEPLOY
    source: str  # github (deployment_status) or circleci (job-completed of the deploy job)
    delivery: str  # the delivery id
    state: str  # success, failure, error (GitHub) or success, failed, canceled (CircleCI)
    sha: str
    ref: str = ""
    url: str = ""  # the pipeline's or the deployment's log
    actor: str = ""
    workflow_id: str = ""
    approved_digest: str | None = None  # the design digest a lead had approved for the environment then
    stages_ran: list[str] = Field(default_factory=list)
    stages_missing: list[str] = Field(default_factory=list)
    stages_seen_by: str = ""  # webhooks, or webhooks and the CircleCI API

    @property
    def deployed(self) -> bool:
        return self.state == "success"


class CicdSummary(RunSummary):
    """ICP-3.1: a check of the repository's CircleCI config or of its GitHub settings against the workflow.
    A part that could not be read is "not evaluated" (with why), never a pass."""

    kind: ClassVar[str] = RunKind.CICD
    part: str  # config or github
    evaluated: bool
    not_evaluated_because: str = ""
    problems: list[str] = Field(default_factory=list)  # "CICD-002 workflows.policy.jobs.deploy-production"


class PentestImportSummary(RunSummary):
    """ICP-4.3: one import of a vendor's findings into an engagement."""

    kind: ClassVar[str] = RunKind.PENTEST
    engagement: int
    format: str  # csv, sarif, cobalt
    imported: int
    duplicates_of_scan: list[str] = Field(default_factory=list)  # vendor ids an open scan finding covers


class ComponentDrillRecord(BaseModel):
    """One database or bucket in a restore drill: restored or not, measured, and held to the targets."""

    model_config = ConfigDict(frozen=True)
    kind: str = ""  # database or bucket
    passed: bool
    not_applicable: str = ""  # why there was nothing to restore: neither passed nor failed
    recovery_point: str = ""
    recovery_point_at: str | None = None
    rto_minutes: float | None = None
    rpo_minutes: float | None = None
    rto_met: bool | None = None
    rpo_met: bool | None = None
    checks: list[str] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)
    temporary: str = ""
    cleaned_up: bool = False


class DrillSummary(RunSummary):
    """ICP-5.2: a restore drill. Per component: restored or not, RTO and RPO in minutes against the design's
    targets (a target the design does not declare is not evaluated), what was checked, and whether the
    temporary copy was deleted."""

    kind: ClassVar[str] = RunKind.DRILL
    passed: bool
    drill: str  # the id its temporary resources were tagged with
    embedded: bool  # the emulator restores metadata only
    rto_target: float | None = None
    rpo_target: float | None = None
    components: dict[str, ComponentDrillRecord] = Field(default_factory=dict)
