"""The shape of the application layer: every use-case is a command with a handler, run through one bus; a
query never writes; one `infragate run` judges each design rule once per environment; and a stage declared
in a registry of its own shows in the gates, the jobs and the API without any other module knowing it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from infragate.aws import AwsConnection
from infragate.design import Design, load_design
from infragate.jobs.runner import run_job
from infragate.model import Role
from infragate.policy import engine
from infragate.policy.context import Subject
from infragate.settings import load_settings
from infragate.store import Store, open_store
from infragate.store.schema import AuditLogEntry, Environment, Run
from infragate.web.app import create_app
from infragate.workflow import catalogue
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.gatekeeping import EvaluateGates
from infragate.workflow.gates import Criterion, Evidence
from infragate.workflow.jobs_model import JobResult
from infragate.workflow.memberships import RegisterProject
from infragate.workflow.pipeline import Outcome, RunPipeline
from infragate.workflow.project import open_project
from infragate.workflow.records import RunSummary
from infragate.workflow.stages import JobKind, JobRequest, StageSpec, registry, temporary
from tests.conftest import WEBSHOP
from tests.support.acting import Person
from tests.support.people import seat_owners

LEAD, DEV = "lena.lead@example.com", "dara.dev@example.com"


@pytest.fixture
def store() -> Store:
    return open_store(load_settings())


def test_every_command_has_a_handler_and_says_its_result() -> None:
    commands = catalogue.commands()
    assert len(commands) > 60
    for command in commands:
        assert command.handler is not None, command
        assert command.result_type() is not None
        assert command.__doc__, f"{command.__name__} says what it does"
        if command.http is not None:
            assert set(command.http.path_fields()) <= set(command.model_fields), command


def test_a_query_never_writes(store: Store) -> None:
    """Evaluating gates is a pure read: no stage moved, no schedule made, no audit-log entry, no run."""
    design = load_design(WEBSHOP)
    seat_owners(store, design)
    lead = Person(store, design, LEAD)
    lead.do(RegisterProject(project="webshop"))  # `infragate project init`

    def counts() -> tuple[int, int, list[tuple[str, str, str | None]]]:
        with store.session() as session:
            entries = session.scalar(select(func.count()).select_from(AuditLogEntry)) or 0
            runs = session.scalar(select(func.count()).select_from(Run)) or 0
            stages = [(e.name, e.stage, e.next_step) for e in session.scalars(select(Environment))]
        return entries, runs, stages

    before = counts()
    # Registering the design settled each environment's stage and next step (a command of its own did).
    assert all(stage == "design" and next_step for _name, stage, next_step in before[2]), before[2]
    for environment in ("staging", "production"):
        report = lead.do(EvaluateGates(project="webshop", environment=environment))
        assert report.unmet(), "nothing has been done yet"
    assert counts() == before


def test_one_run_judges_each_design_rule_once_per_environment(
    store: Store, aws: AwsConnection, webshop_variant: Callable[[dict[str, Any]], Design], monkeypatch: Any
) -> None:
    nothing_to_serve = {"endpoints": None, "ca_bundle": None, "workload": None, "tests": None, "stress": None}
    design = webshop_variant({"environments": {"staging": nothing_to_serve}})
    seat_owners(store, design)
    Person(store, design, LEAD).approve_design("staging")
    judged: Counter[tuple[str, str]] = Counter()
    original = engine._outcomes

    def counting(rule: Any, context: Any) -> Any:
        if context.subject is Subject.DESIGN:
            judged[(rule.meta.id, context.environment.name)] += 1
        return original(rule, context)

    monkeypatch.setattr(engine, "_outcomes", counting)
    result = Person(store, design, LEAD, aws=aws).do(
        RunPipeline(project="webshop", environment="staging", design_file="variant.yaml")
    )
    assert result.outcome is Outcome.DONE, result.steps
    assert [step.name for step in result.steps][:6] == ["validate", "docs", "design gate", "plan", "apply", "verify"]
    assert judged, "the design was judged"
    assert {environment for _, environment in judged} == {"staging", "production"}  # the docs cover both
    assert set(judged.values()) == {1}, [key for key, count in judged.items() if count > 1][:5]


# -- a toy stage, declared here only -----------------------------------------------------------------------
class ToySummary(RunSummary):
    kind: ClassVar[str] = "toy"
    verdict: bool


def toy_gate(evidence: Evidence) -> list[Criterion]:
    run = evidence.runs.get("toy")
    held = run is not None and isinstance(run.summary, ToySummary) and run.summary.verdict
    detail = f"at {run.at:%H:%M}" if held and run is not None else "no toy run yet: infragate jobs submit toy"
    return [Criterion("toy-review", "ICP-3.2", "a toy review held", held, detail, Role.DEVELOPER)]


def toy_job(job: JobRequest, caller: Caller, uow: UnitOfWork) -> JobResult:
    open_project(uow, job.project, caller).record(job.environment, ToySummary(verdict=True), succeeded=True)
    uow.view.log("the toy looked, and it held")
    return JobResult(passed=True)


TOY = StageSpec(
    "toy-review",
    toy_gate,
    summaries=(ToySummary,),
    jobs=(JobKind("toy", toy_job, frozenset({Role.DEVELOPER}), idempotent=True, what="a toy review"),),
)


@pytest.fixture
def toy() -> Iterator[None]:
    with temporary(TOY, after="deployment-testing"):
        yield
    assert "toy-review" not in registry().gated  # gone with the block


def test_a_stage_declared_in_its_own_module_shows_in_gates_jobs_and_the_api(store: Store, toy: None) -> None:
    design = load_design(WEBSHOP)
    seat_owners(store, design)
    developer = Person(store, design, DEV)
    assert registry().gated.index("toy-review") == registry().gated.index("deployment-testing") + 1
    criterion = next(c for c in developer.do(EvaluateGates(project="webshop", environment="staging")).criteria
                     if c.stage == "toy-review")  # fmt: skip
    assert not criterion.met and criterion.detail.startswith("no toy run yet")

    job = developer.request_job("staging", "toy")  # who may ask comes from the stage's declaration
    assert run_job(load_settings(), job.id) == "succeeded"
    report = developer.do(EvaluateGates(project="webshop", environment="staging"))
    assert next(c for c in report.criteria if c.stage == "toy-review").met

    api = TestClient(create_app(UnitOfWork(store, load_settings())), base_url="http://127.0.0.1")
    from infragate.workflow.accounts import set_password
    from tests.web.conftest import PASSWORD, sign_in

    set_password(store, None, DEV, PASSWORD)
    sign_in(api, DEV)
    gates = api.get("/api/v1/projects/webshop/environments/staging/gates").json()
    assert [c["stage"] for c in gates["criteria"]].count("toy-review") == 1
    asked = api.post("/api/v1/projects/webshop/environments/staging/jobs", json={"kind": "toy"})
    assert asked.status_code == 202 and asked.json()["kind"] == "toy", asked.text
    page = api.get("/projects/webshop/environments/staging").text
    assert '<option value="toy">toy</option>' in page  # the dashboard's job list reads the registry
    csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    form = {"csrf": csrf, "kind": "toy"}
    queued = api.post("/projects/webshop/environments/staging/jobs", data=form, follow_redirects=False)
    assert queued.status_code == 303, queued.text


def test_a_command_without_a_route_is_refused_by_the_server_client() -> None:
    """Reading AWS and recording evidence from the CLI's machine is local mode's: in team mode the same command
    is refused before anything is sent, saying what to run instead."""
    from infragate.cli.http_client import HttpClient
    from infragate.cli.remote import Server
    from infragate.errors import UsageError
    from infragate.workflow.provisioning import Verify

    assert Verify.http is None
    with pytest.raises(UsageError, match="only the server records evidence"):
        HttpClient(Server("http://127.0.0.1:9", "t", "me", None, "login")).execute(Verify(project="w", environment="s"))
