"""CircleCI's API v2 (``service-apis.md`` §3), what ICP-3.1 needs of it: a workflow and its jobs, to confirm
which of the policy's stages ran (an approval job included, which sends no webhook of its own).
Lists follow ``next_page_token``."""

from __future__ import annotations

import os
from typing import Any

from infragate.cicd.http import JsonApi, check_base_url
from infragate.errors import UsageError

API = "https://circleci.com/api/v2"
HINT = "Check INFRAGATE_CIRCLECI_TOKEN (a personal API token) and INFRAGATE_CIRCLECI_URL."


class CircleCI:
    def __init__(self, token: str, base_url: str = API, **kwargs: Any) -> None:
        if not token.strip():
            raise UsageError("CircleCI needs a token", hint="Set INFRAGATE_CIRCLECI_TOKEN (a personal API token).")
        self.api = JsonApi("CircleCI", base_url, {"Circle-Token": token, "Accept": "application/json"}, HINT, **kwargs)

    @classmethod
    def from_environment(cls, **kwargs: Any) -> CircleCI | None:
        """The client the settings describe (``kwargs`` for ``JsonApi``: timeout, sleep), or None without a
        token (then only webhooks say which stages ran)."""
        token = os.environ.get("INFRAGATE_CIRCLECI_TOKEN", "").strip()
        if not token:
            return None
        url = check_base_url(os.environ.get("INFRAGATE_CIRCLECI_URL") or API, "INFRAGATE_CIRCLECI_URL")
        return cls(token, url, **kwargs)

    def pages(self, path: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            found = self.api.call("GET", path, params={"page-token": token} if token else None)
            items += [dict(item) for item in found.get("items", [])]
            token = found.get("next_page_token")
            if not token:
                return items

    def workflow(self, workflow_id: str) -> dict[str, Any] | None:
        found = self.api.call("GET", f"/workflow/{workflow_id}", missing_ok=True)
        return dict(found) if found is not None else None

    def workflow_jobs(self, workflow_id: str) -> list[dict[str, Any]]:
        """Every job of the workflow: name, type (build or approval), status, approved_by…"""
        return self.pages(f"/workflow/{workflow_id}/job")
