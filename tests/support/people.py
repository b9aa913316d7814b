"""The people of the example designs, seated as a new user would: an admin made on the host, who applies the
memberships a design's owners propose (loading a design grants nothing)."""

from __future__ import annotations

from infragate.design import Design
from infragate.store import Store
from infragate.workflow.users import create_admin
from tests.support.acting import Person

ADMIN = "ada.admin@example.com"


def seat_owners(store: Store, design: Design) -> None:
    """Make ADMIN an admin (once) and apply the design's proposed memberships (idempotent)."""
    create_admin(store, ADMIN)
    Person(store, design, ADMIN).apply_memberships()
