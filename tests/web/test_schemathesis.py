"""Schemathesis against the API in process (ASGI): generated requests for every operation, as a lead with an
API token. No server error, and no response that contradicts the OpenAPI document (status codes, content types,
bodies). Driven through schemathesis' Python API with Hypothesis, one operation after another."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infragate.settings import load_settings
from infragate.store import Store
from infragate.web.app import create_app
from infragate.workflow import accounts
from infragate.workflow.context import UnitOfWork
from tests.web.conftest import LEAD


def test_the_api_keeps_its_contract(store: Store) -> None:
    app = create_app(UnitOfWork(store, load_settings()), follow_seconds=0.5)  # a followed job's stream ends quickly
    _info, token = accounts.create_token(store, LEAD, "schemathesis", projects=[], roles=[], days=1)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 24

    for operation in operations:
        _exercise(operation.as_strategy(), headers)


def _exercise(strategy: Any, headers: dict[str, str]) -> None:
    @settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data: Any) -> None:
        data.draw(strategy).call_and_validate(headers=headers)

    run()
