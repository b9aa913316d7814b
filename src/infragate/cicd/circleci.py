"""CircleCI's API v2 (``service-apis.md`` §3), what ICP-3.1 needs of it: a workflow and its jobs, to confirm
which of the policy's stages ran (an approval job included, which sends no webhook of its own).
Lists follow ``next_page_token``."""

from __future__ import annotations

import os
from collections.abc import Callable

from infragate.cicd.documents import CircleJob, CircleWorkflow
from infragate.cicd.http import JsonApi, check_base_url
from infragate.errors import UsageError

API = "https://circleci.com/api/v2"
HINT = "Check INFRAGATE_CIRCLECI_TOKEN (a personal API token) and INFRAGATE_CIRCLECI_URL."


class CircleCI:
    def __init__(
        self, token: str, base_url: str = API, *, timeout: float = 30.0, sleep: Callable[[float], None] | None = None
    ) -> None:
        if not token.strip():
            raise UsageError("CircleCI needs a token", hint="Set INFRAGATE_CIRCLECI_TOKEN (a personal API token).")
        headers = {"Circle-Token": token, "Accept": "application/json"}
        self.api = JsonApi("CircleCI", base_url, headers, HINT, timeout=timeout, sleep=sleep)

    @classmethod
    def from_environment(
        cls, *, timeout: float = 30.0, sleep: Callable[[float], None] | None = None
    ) -> CircleCI | None:
        """The client the settings describe (``kwargs`` for ``JsonApi``: timeout, sleep), or None without a
        token (then only webhooks say which stages ran)."""
        token = os.environ.get("INFRAGATE_CIRCLECI_TOKEN", "").strip()
        if not token:
            return None
        url = check_base_url(os.environ.get("INFRAGATE_CIRCLECI_URL") or API, "INFRAGATE_CIRCLECI_URL")
        return cls(token, url, timeout=timeout, sleep=sleep)

    def workflow(self, workflow_id: str) -> CircleWorkflow | None:
        found: CircleWorkflow | None = self.api.call("GET", f"/workflow/{workflow_id}", missing_ok=True)
        return found

    def workflow_jobs(self, workflow_id: str) -> list[CircleJob]:
        """Every job of the workflow: name, type (build or approval), status, approved_by… (lists follow
        ``next_page_token``)."""
        items: list[CircleJob] = []
        token: str | None = None
        while True:
            found = self.api.call(
                "GET", f"/workflow/{workflow_id}/job", params={"page-token": token} if token else None
            )
            items += found.get("items", [])
            token = found.get("next_page_token")
            if not token:
                return items
