"""A server on a fresh store with the webshop project, its members seated, and passwords for the people."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from infragate.design import load_design
from infragate.settings import load_settings
from infragate.store import Store
from infragate.store.checkpoints import Signer
from infragate.web.app import create_app
from infragate.workflow.accounts import set_password
from infragate.workflow.context import UnitOfWork
from tests.conftest import WEBSHOP
from tests.support.people import ADMIN, seat_owners
from tests.support.servers import serving

PASSWORD = "correct horse battery staple"
LEAD, DEV, SECURITY, INFRA = (
    "lena.lead@example.com",
    "dara.dev@example.com",
    "sam.sec@example.com",
    "ivan.infra@example.com",
)
PEOPLE = (ADMIN, LEAD, DEV, SECURITY, INFRA)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(f"sqlite:///{tmp_path / 'server.db'}", signer=Signer(tmp_path / "keys" / "audit.pem"))
    opened.upgrade()
    seat_owners(opened, load_design(WEBSHOP))
    for person in PEOPLE:
        set_password(opened, None, person, PASSWORD)
    yield opened
    opened.engine.dispose()


@pytest.fixture
def server(store: Store) -> TestClient:
    return TestClient(create_app(UnitOfWork(store, load_settings())), base_url="http://127.0.0.1")


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> TestClient:
    response = client.post("/login", data={"name": name, "password": password}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def live(store: Store) -> Iterator[str]:
    """The server on a free port of 127.0.0.1, in a thread: its address."""
    with serving(create_app(UnitOfWork(store, load_settings()))) as address:
        yield address
