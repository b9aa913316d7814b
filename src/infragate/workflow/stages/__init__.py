"""The policy's stages, each declared once, in order: what its gate asks (criteria judged from an
``Evidence`` snapshot), the evidence it records (run kinds and their typed summaries), the jobs workers run
for it (each a ``{kind: handler}`` entry), and what it adds to the pre-launch checklist.

Gates, the job runner, the API and the dashboard read this registry; nothing else lists stages or job kinds.
Adding a stage is a module here (its ``STAGE``) and a line in ``BUILT_IN``; tests add a toy one with
``temporary()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import ValidationError

from infragate.model import Role
from infragate.workflow.records import RunSummary

if TYPE_CHECKING:
    from infragate.workflow.checklist import ChecklistSpec
    from infragate.workflow.context import Caller, UnitOfWork
    from infragate.workflow.gates import Criterion, Evidence, ItemState
    from infragate.workflow.jobs_model import JobParams, JobResult


class Stage(StrEnum):
    """The built-in stages' names (a registered stage may add another name)."""

    DESIGN = "design"
    PROVISIONING = "provisioning"
    DEPLOYMENT_TESTING = "deployment-testing"
    SECURITY_COMPLIANCE = "security-compliance"
    PRE_LAUNCH = "pre-launch"
    LAUNCHED = "launched"


@dataclass(frozen=True)
class JobRequest:
    """A job as its handler gets it: where, and with what."""

    project: str
    environment: str
    params: JobParams
    job_id: int


@dataclass(frozen=True)
class JobKind:
    """A kind of job the workers run: the handler that runs it as commands, who may ask for it, and whether it
    may run again when its worker died under it."""

    name: str
    run: Callable[[JobRequest, Caller, UnitOfWork], JobResult]
    may_request: frozenset[Role]
    idempotent: bool = False
    what: str = ""  # a few words for help texts and the dashboard's button


ItemJudge = Callable[["ChecklistSpec", "Evidence"], "ItemState"]


@dataclass(frozen=True)
class StageSpec:
    name: str
    criteria: Callable[[Evidence], list[Criterion]]
    summaries: tuple[type[RunSummary], ...] = ()  # the evidence this stage records
    jobs: tuple[JobKind, ...] = ()
    item_judges: Mapping[str, ItemJudge] = field(default_factory=dict)  # checklist `evidence:` kinds it decides
    checklist: tuple[ChecklistSpec, ...] = ()  # items it adds to the pre-launch checklist


class Registry:
    """The stages in policy order, and what they declare, indexed."""

    def __init__(self, stages: tuple[StageSpec, ...]) -> None:
        names = [stage.name for stage in stages]
        if len(set(names)) != len(names):
            raise ValueError(f"a stage is declared twice: {names}")
        self.stages = stages
        self.jobs: dict[str, JobKind] = {}
        self.summaries: dict[str, type[RunSummary]] = {}
        self.item_judges: dict[str, ItemJudge] = {}
        for stage in stages:
            for job in stage.jobs:
                if job.name in self.jobs:
                    raise ValueError(f"job kind {job.name} is declared twice")
                self.jobs[job.name] = job
            for model in stage.summaries:
                self.summaries[model.kind] = model
            self.item_judges |= dict(stage.item_judges)

    @property
    def gated(self) -> tuple[str, ...]:
        """Every stage with a gate, in order (``launched`` follows them and has none)."""
        return tuple(stage.name for stage in self.stages)

    @property
    def order(self) -> tuple[str, ...]:
        return (*self.gated, Stage.LAUNCHED.value)

    @property
    def run_kinds(self) -> tuple[str, ...]:
        return tuple(self.summaries)

    def checklist(self) -> tuple[ChecklistSpec, ...]:
        return tuple(item for stage in self.stages for item in stage.checklist)

    def evaluate(self, evidence: Evidence) -> dict[str, list[Criterion]]:
        return {stage.name: stage.criteria(evidence) for stage in self.stages}

    def job(self, kind: str) -> JobKind:
        from infragate.errors import UsageError

        found = self.jobs.get(kind)
        if found is None:
            raise UsageError(f"there is no job kind '{kind}'", hint=f"Use one of: {', '.join(self.jobs)}.")
        return found

    def parse_summary(self, kind: str, data: Mapping[str, object]) -> RunSummary | None:
        """A stored run summary as its typed record, or None when it is not one (unusable as evidence)."""
        model = self.summaries.get(kind)
        if model is None:
            return None
        try:
            return model.model_validate(data)
        except ValidationError:
            return None


def current_stage(results: Mapping[str, list[Criterion]], launched: bool) -> str:
    """The first stage whose gate does not hold (stages are passed in order), or launched."""
    if launched:
        return Stage.LAUNCHED.value
    last = Stage.PRE_LAUNCH.value
    for stage, criteria in results.items():
        last = stage
        if not all(c.met for c in criteria):
            return stage
    return last  # every gate holds: ready to launch, which a lead still does explicitly


BUILT_IN = (
    "infragate.workflow.stages.design",
    "infragate.workflow.stages.provisioning",
    "infragate.workflow.stages.deployment",
    "infragate.workflow.stages.security",
    "infragate.workflow.stages.pre_launch",
)
_current: list[Registry] = []


def registry() -> Registry:
    """The stages in force: the built-in ones (or a test's, inside ``temporary``)."""
    if not _current:
        import importlib

        _current.append(Registry(tuple(importlib.import_module(name).STAGE for name in BUILT_IN)))
    return _current[-1]


@contextmanager
def temporary(*extra: StageSpec, after: str = Stage.PRE_LAUNCH.value) -> Iterator[Registry]:
    """The registry with ``extra`` stages inserted after the stage ``after``, while the block runs."""
    stages = list(registry().stages)
    at = [stage.name for stage in stages].index(after) + 1
    _current.append(Registry((*stages[:at], *extra, *stages[at:])))
    try:
        yield _current[-1]
    finally:
        _current.pop()
