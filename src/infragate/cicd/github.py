"""GitHub's REST API (``service-apis.md`` §4), what ICP-3.1 needs of it: branch protection, environments with
required reviewers, users, and deployments with their statuses. Pages follow ``Link: rel="next"``."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from urllib.parse import quote

from infragate.cicd.documents import BranchProtection, Deployment, DeploymentStatus, GitHubEnvironment
from infragate.cicd.http import JsonApi, check_base_url
from infragate.errors import UsageError
from infragate.json_values import JsonObject

API = "https://api.github.com"
HINT = "Check INFRAGATE_GITHUB_TOKEN (repo administration, deployments) and INFRAGATE_GITHUB_URL."
DEPLOYMENT_STATES = ("error", "failure", "inactive", "in_progress", "queued", "pending", "success")


class GitHub:
    def __init__(
        self, token: str, base_url: str = API, *, timeout: float = 30.0, sleep: Callable[[float], None] | None = None
    ) -> None:
        if not token.strip():
            raise UsageError("GitHub needs a token", hint="Set INFRAGATE_GITHUB_TOKEN (a fine-grained token).")
        self.api = JsonApi(
            "GitHub",
            base_url,
            {
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            },
            HINT,
            timeout=timeout,
            sleep=sleep,
        )

    @classmethod
    def from_environment(cls) -> GitHub | None:
        """The client the settings describe, or None when no token is set (GitHub is then not evaluated)."""
        token = os.environ.get("INFRAGATE_GITHUB_TOKEN", "").strip()
        if not token:
            return None
        return cls(token, check_base_url(os.environ.get("INFRAGATE_GITHUB_URL") or API, "INFRAGATE_GITHUB_URL"))

    def deployments(self, repo: str, *, sha: str, environment: str) -> list[Deployment]:
        """Every deployment of the commit to the environment, 100 a page, following the Link header."""
        path, params = f"/repos/{repo}/deployments", {"sha": sha, "environment": environment}
        items: list[Deployment] = []
        url: str | None = path
        query: dict[str, str | int] | None = {**(params or {}), "per_page": 100}
        while url:
            response = self.api.send("GET", url, params=query)
            if response.status_code >= 400:
                raise self.api.error("GET", path, response)
            items += response.json()
            found = re.search(r'<([^>]+)>;\s*rel="next"', response.headers.get("link", ""))
            url, query = (found[1], None) if found else (None, None)
        return items

    def protection(self, repo: str, branch: str) -> BranchProtection | None:
        """The branch's protection, or None when it has none (GitHub answers 404)."""
        found: BranchProtection | None = self.api.call(
            "GET", f"/repos/{repo}/branches/{quote(branch, safe='')}/protection", missing_ok=True
        )
        return found

    def environment(self, repo: str, name: str) -> GitHubEnvironment | None:
        found: GitHubEnvironment | None = self.api.call(
            "GET", f"/repos/{repo}/environments/{quote(name, safe='')}", missing_ok=True
        )
        return found

    def user_id(self, login: str) -> int | None:
        found = self.api.call("GET", f"/users/{quote(login, safe='')}", missing_ok=True)
        return int(found["id"]) if found else None

    def create_deployment(self, repo: str, body: JsonObject) -> Deployment:
        made: Deployment = self.api.call("POST", f"/repos/{repo}/deployments", json=body)
        return made

    def create_status(self, repo: str, deployment_id: int, body: JsonObject) -> DeploymentStatus:
        made: DeploymentStatus = self.api.call("POST", f"/repos/{repo}/deployments/{deployment_id}/statuses", json=body)
        return made
