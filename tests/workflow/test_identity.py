"""Identity and authority: loading a design grants nothing, roles hold on one project only, the first admin is
made on the host, --as leaves both names on record, and the policy's two-person rules hold even for someone
who holds several roles."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from infragate.design import Design, load_design
from infragate.errors import RefusedError, UsageError
from infragate.model import Role
from infragate.store import Store
from infragate.store.findings import FindingStatus, Observed, ingest
from infragate.store.schema import AuditLogEntry
from infragate.workflow.roles import RoleError
from infragate.workflow.users import add_user, create_admin
from tests.conftest import WEBSHOP
from tests.support.acting import Person
from tests.support.people import ADMIN, seat_owners

LEAD, DEV, SECURITY = "lena.lead@example.com", "dara.dev@example.com", "sam.sec@example.com"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store(f"sqlite:///{tmp_path / 'identity.db'}")
    opened.upgrade()
    return opened


def _high_finding(flow: Person, env: str = "production") -> int:
    with flow.store.session() as session:
        project = flow.register(session)
        observed = Observed("fp-net", "NET-002", "web", "high", "open to the world", "0.0.0.0/0 on 22")
        ingest(session, project_id=project.id, environment=env, source="audit", run_id=None, observed=[observed])
    return flow.findings(env)[0].id


def test_loading_a_design_grants_nothing(store: Store) -> None:
    flow = Person(store, load_design(WEBSHOP), LEAD)
    flow.register_project()
    assert flow.members() == []
    with pytest.raises(UsageError, match="is not a user"):
        flow.approve_design("staging")
    proposal = {(c.change, c.user, c.role) for c in flow.proposed_memberships()}
    assert ("grant", LEAD, "lead") in proposal


def test_a_developer_listing_himself_as_security_in_a_copy_of_the_design_gains_nothing(
    store: Store, webshop_variant: Callable[[dict[str, Any]], Design]
) -> None:
    webshop = load_design(WEBSHOP)
    seat_owners(store, webshop)
    flow = Person(store, webshop, DEV)
    finding = _high_finding(flow)
    forged = webshop_variant({"project": {"owners": {"security": [DEV]}}})
    as_forger = Person(store, forged, DEV)
    as_forger.gate_report("production")  # the copy is loaded and registered
    with pytest.raises(RoleError, match="needs the role security"):
        as_forger.resolve(finding, FindingStatus.FIXED, "closed it myself")
    with pytest.raises(RoleError, match="admin or lead"):
        as_forger.apply_memberships()  # and cannot apply his own proposal
    assert (DEV, "security") not in {(m.user, m.role) for m in flow.members()}


def test_roles_hold_on_their_own_project_only(
    store: Store, webshop_variant: Callable[[dict[str, Any]], Design]
) -> None:
    seat_owners(store, load_design(WEBSHOP))
    people = {role: [f"{role}@other.example"] for role in ("infra", "developer", "security")}
    other = webshop_variant(
        {"project": {"name": "payroll", "client": "Other Co", "owners": {"lead": ["olga.lead@example.com"], **people}}}
    )
    as_webshop_lead = Person(store, other, LEAD)
    with pytest.raises(RoleError, match="no role"):
        as_webshop_lead.approve_design("staging")  # the other client's design
    seat_owners(store, other)
    finding = _high_finding(Person(store, other, "olga.lead@example.com"))
    with pytest.raises(RoleError):
        Person(store, other, SECURITY).resolve(finding, FindingStatus.FIXED, "not my project")


def test_the_first_admin_is_made_on_the_host_and_nobody_bootstraps_themself(store: Store) -> None:
    with pytest.raises(UsageError, match="no admin yet"):
        add_user(store, "mallory", "mallory", admin=True)
    with pytest.raises(UsageError, match="no admin yet"):
        add_user(store, "", "", admin=True)
    user, created = create_admin(store, ADMIN)
    assert created and user.roles == ["admin"]
    assert create_admin(store, ADMIN)[1] is False  # idempotent
    with pytest.raises(RoleError, match="manage users"):
        add_user(store, "mallory", "mallory", admin=True)
    add_user(store, ADMIN, DEV)
    with store.session() as session:
        entries = [(e.actor, e.action) for e in session.scalars(select(AuditLogEntry))]
    assert entries[0][0].startswith("host:") and entries[0][1] == "admin-created"
    assert ("mallory", "refused") in entries and (ADMIN, "user-added") in entries


def test_acting_for_someone_records_both_people(store: Store) -> None:
    design = load_design(WEBSHOP)
    seat_owners(store, design)
    Person(store, design, ADMIN, acting_as=LEAD).approve_design("staging", "on the phone with lena")
    with store.session() as session:
        last = session.scalars(select(AuditLogEntry).order_by(AuditLogEntry.id.desc())).first()
    assert last is not None and last.actor == LEAD and last.detail["by"] == ADMIN
    with pytest.raises(RoleError, match="act as another user"):
        Person(store, design, DEV, acting_as=LEAD).approve_design("staging")


def test_the_approving_lead_is_never_also_the_security_reviewer(store: Store) -> None:
    design = load_design(WEBSHOP)
    seat_owners(store, design)
    Person(store, design, ADMIN).add_member(LEAD, Role.SECURITY)  # one person, both roles
    lena = Person(store, design, LEAD)
    assert lena.approve_design("production", "requirements met") == "approved"
    with pytest.raises(RefusedError, match="separation of duties"):
        lena.approve_design("production", "and reviewed", as_role=Role.SECURITY)
    assert Person(store, design, SECURITY).approve_design("production", "reviewed") == "reviewed"
    evidence = lena.evidence("production")
    assert evidence.design_approvers == (LEAD,) and evidence.design_reviewers == (SECURITY,)


def test_a_review_by_the_approver_does_not_count_even_if_recorded_first(store: Store) -> None:
    design = load_design(WEBSHOP)
    seat_owners(store, design)
    Person(store, design, ADMIN).add_member(LEAD, Role.SECURITY)
    lena = Person(store, design, LEAD)
    assert lena.approve_design("production", as_role=Role.SECURITY) == "reviewed"
    with pytest.raises(RefusedError, match="separation of duties"):
        lena.approve_design("production")
    assert lena.evidence("production").design_approvers == ()


def test_a_revoked_lead_no_longer_counts(store: Store) -> None:
    design = load_design(WEBSHOP)
    seat_owners(store, design)
    lena = Person(store, design, LEAD)
    lena.approve_design("staging")
    assert lena.evidence("staging").design_approvers == (LEAD,)
    Person(store, design, ADMIN).remove_member(LEAD, Role.LEAD)
    assert lena.evidence("staging").design_approvers == ()
    with pytest.raises(RoleError, match="admin or lead"):
        lena.apply_memberships()  # no longer lead: the design naming her is only a proposal


def test_a_lead_applies_the_designs_proposal_but_never_to_herself(
    store: Store, webshop_variant: Callable[[dict[str, Any]], Design]
) -> None:
    seat_owners(store, load_design(WEBSHOP))
    lena = Person(store, load_design(WEBSHOP), LEAD)
    with pytest.raises(RoleError, match="manage users"):
        lena.add_member(DEV, Role.SECURITY)  # by hand: admins only
    newcomer = webshop_variant({"project": {"owners": {"developer": [DEV, "nia.dev@example.com"]}}})
    applied = Person(store, newcomer, LEAD).apply_memberships()
    assert [(c.change, c.user, c.role) for c in applied] == [("grant", "nia.dev@example.com", "developer")]
    self_serving = webshop_variant({"project": {"owners": {"security": [SECURITY, LEAD]}}})
    with pytest.raises(RoleError, match="their own memberships"):
        Person(store, self_serving, LEAD).apply_memberships()


def test_clients_are_read_only(store: Store) -> None:
    design = load_design(WEBSHOP)
    seat_owners(store, design)
    Person(store, design, ADMIN).add_member("kim@client.example", Role.CLIENT)
    kim = Person(store, design, "kim@client.example")
    assert kim.gate_report("staging").stage  # may look
    for attempt in (
        lambda: kim.approve_design("staging"),
        lambda: kim.sign("staging", "on-call-tested", "looks fine"),
        lambda: kim.launch("staging"),
        lambda: kim.apply_memberships(),
    ):
        with pytest.raises(RoleError):
            attempt()
