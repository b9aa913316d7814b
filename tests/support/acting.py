"""A person acting through the application layer, for tests: each method builds the command a front end would
build and runs it through ``bus.handle`` as that person (local mode: a known user, not authenticated), on the
test's store. Evidence a test needs without running a tool is recorded the one way runs are recorded
(``ProjectWork.record``)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy.orm import Session

from infragate.aws import AwsConnection
from infragate.design import Design
from infragate.model import Role
from infragate.provision.service import Verification
from infragate.settings import Settings, load_settings
from infragate.store import Store
from infragate.store.findings import FindingStatus, Observed
from infragate.store.schema import Project
from infragate.workflow import gatekeeping
from infragate.workflow.approvals import ApproveDesign, ApprovePlan
from infragate.workflow.bus import handle
from infragate.workflow.context import Caller, QuietView, UnitOfWork, View
from infragate.workflow.design_review import (
    DesignChanges,
    GetDesignChanges,
    GetDesignDocuments,
    ListRuns,
    RunView,
)
from infragate.workflow.gatekeeping import Judgement
from infragate.workflow.gates import Evidence
from infragate.workflow.job_requests import AddSchedule, JobOut, RequestJob
from infragate.workflow.memberships import (
    AddMember,
    ApplyMemberships,
    ListMembers,
    Member,
    MembershipChange,
    ProposedMemberships,
    RemoveMember,
)
from infragate.workflow.messages import Command
from infragate.workflow.project import ProjectWork
from infragate.workflow.records import RunSummary, ShieldCoverage, VerifySummary
from infragate.workflow.signoffs import SignChecklistItem, SignRequirement
from infragate.workflow.triage import AssignFinding, FindingOut, ListFindings, ResolveFinding

R = TypeVar("R", bound=BaseModel)
S = TypeVar("S", bound=RunSummary)


class Person:
    """``name`` working on ``design``'s project in ``store`` (the design is the one local mode was given)."""

    def __init__(
        self,
        store: Store,
        design: Design,
        name: str,
        *,
        acting_as: str | None = None,
        settings: Settings | None = None,
        via: str = "local",
        aws: AwsConnection | None = None,
        view: View | None = None,
    ) -> None:
        self.store, self.design, self.actor = store, design, name
        connection = aws
        self.uow = UnitOfWork(
            store,
            settings or load_settings(),
            view=view or QuietView(),
            aws=(lambda _settings: connection) if connection is not None else None,  # type: ignore[misc]
        )
        self.uow.designs.use(design)
        self.caller = Caller(name, via=via, acting_as=acting_as)

    @property
    def project(self) -> str:
        return self.design.project.name

    @property
    def work(self) -> ProjectWork:
        return ProjectWork(self.uow, self.design, self.caller)

    def do(self, command: Command[R]) -> R:
        """Run ``command`` as this person (a fresh unit of work: nothing cached from the last one)."""
        fresh = self.uow.fresh()
        fresh.view = self.uow.view
        fresh.designs.use(self.design)
        return handle(command, self.caller, fresh)

    # -- decisions --------------------------------------------------------------------------------------
    def approve_design(
        self, environment: str, comment: str = "", *, as_role: Role | None = None, digest: str | None = None
    ) -> str:
        """ "approved" (a lead) or "reviewed" (security)."""
        decision = ApproveDesign(
            project=self.project, environment=environment, comment=comment, role=as_role, digest=digest
        )
        return self.do(decision).result

    def sign_requirement(
        self,
        environment: str,
        framework: str,
        requirement: str,
        comment: str,
        attachment: tuple[str, bytes] | None = None,
    ) -> str:
        """Security signs a manual requirement; the attachment's digest ('' without one)."""
        signed = self.do(
            SignRequirement(
                project=self.project,
                environment=environment,
                framework=framework,
                requirement=requirement,
                comment=comment,
                attachment_name=attachment[0] if attachment else None,
                attachment_base64=base64.b64encode(attachment[1]).decode() if attachment else None,
            )
        )
        return signed.result.rsplit(" ", 1)[-1].rstrip(")") if attachment else ""

    def approve_plan(self, digest: str, environment: str, comment: str = "") -> None:
        self.do(ApprovePlan(project=self.project, environment=environment, digest=digest, comment=comment))

    def sign(self, environment: str, key: str, comment: str) -> None:
        self.do(SignChecklistItem(project=self.project, environment=environment, key=key, comment=comment))

    def launch(self, environment: str) -> str:
        return self.do(gatekeeping.Launch(project=self.project, environment=environment)).result

    def assign(self, finding_id: int, to: str) -> None:
        self.do(AssignFinding(project=self.project, finding_id=finding_id, user=to))

    def resolve(self, finding_id: int, status: FindingStatus, note: str) -> None:
        self.do(ResolveFinding(project=self.project, finding_id=finding_id, status=status, note=note))

    def add_schedule(self, environment: str, name: str, kind: str, cron: str) -> None:
        self.do(AddSchedule(project=self.project, environment=environment, name=name, kind=kind, cron=cron))

    def request_job(self, environment: str, kind: str, *, plan: str | None = None) -> JobOut:
        return self.do(RequestJob(project=self.project, environment=environment, kind=kind, plan=plan, enqueue=False))

    # -- members --------------------------------------------------------------------------------------
    def members(self) -> list[Member]:
        return list(self.do(ListMembers(project=self.project)))

    def proposed_memberships(self) -> list[MembershipChange]:
        return list(self.do(ProposedMemberships(project=self.project)))

    def apply_memberships(self) -> list[MembershipChange]:
        return list(self.do(ApplyMemberships(project=self.project)))

    def add_member(self, name: str, role: Role) -> MembershipChange:
        return self.do(AddMember(project=self.project, user=name, role=role))

    def remove_member(self, name: str, role: Role) -> MembershipChange:
        return self.do(RemoveMember(project=self.project, user=name, role=role))

    # -- reading --------------------------------------------------------------------------------------
    def findings(self, environment: str | None = None, *, include_closed: bool = False) -> list[FindingOut]:
        listed = ListFindings(project=self.project, environment=environment, include_closed=include_closed)
        return self.do(listed.model_copy(update={"limit": 100_000})).items

    def gate_report(self, environment: str, today: date | None = None) -> Judgement:
        return gatekeeping.judge(self.work, environment, today)

    def evidence(self, environment: str) -> Evidence:
        return gatekeeping.gather(self.work, environment)

    def runs(self, environment: str | None = None, limit: int = 50, kind: str | None = None) -> list[RunView]:
        return list(self.do(ListRuns(project=self.project, environment=environment, limit=limit, kind=kind)))

    def design_changes(self, environment: str) -> DesignChanges:
        return self.do(GetDesignChanges(project=self.project, environment=environment))

    def design_documents(self, environment: str) -> Path | None:
        found = self.do(GetDesignDocuments(project=self.project, environment=environment)).folder
        return Path(found) if found is not None else None

    def plan_approver(self, digest: str, subject: str = "plan") -> str | None:
        return self.work.plan_approver(digest, subject)

    def refuse_in_pentest_window(self, environment: str, what: str) -> None:
        self.work.refuse_in_pentest_window(environment, what)

    def register(self, session: Session) -> Project:
        return self.work.register(session)

    @contextmanager
    def session(self) -> Iterator[tuple[Session, Project]]:
        with self.work.session() as (session, project):
            yield session, project

    def register_project(self) -> None:
        with self.work.session():
            pass

    # -- evidence a test records without running the tool ------------------------------------------------
    def record_run(
        self,
        environment: str,
        summary: S,
        *,
        succeeded: bool,
        findings: list[Observed] | None = None,
        source: str | None = None,
        artifact_path: str | None = None,
    ) -> int:
        run_id, _recorded = self.work.record(
            environment, summary, succeeded=succeeded, findings=findings, source=source, artifact_path=artifact_path
        )
        self.settle()
        return run_id

    def record_verification(self, environment: str, verification: Verification) -> int:
        summary = VerifySummary(
            aligned=verification.aligned,
            differs=[change.key for change in verification.plan.pending],
            shield=ShieldCoverage(
                subscribed=verification.shield_subscribed, uncovered=[i.id for i in verification.uncovered()]
            ),
        )
        return self.record_run(environment, summary, succeeded=verification.aligned)

    def settle(self) -> None:
        """What the bus does after a command: each environment whose evidence changed gets its stage settled."""
        from infragate.workflow.bus import settle

        settle(self.uow)
