"""A local fake of GitHub's REST API (../shared/reference/service-apis.md §4) for the CI/CD adapter: bearer
auth, branch protection (404 "Branch not protected" until set), environments with required reviewers,
users, deployments (paged with Link headers, filtered by sha and environment) and their statuses. Like
GitHub, a new deployment status is delivered to the configured webhook as a signed ``deployment_status``
event, from a thread of its own after the answer. ``limit_next`` rate-limits the next requests."""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from infragate.cicd.signatures import github_signature

TOKEN = "github_pat_fake_0123456789"
USERS = {"lena-lead": 1001, "dara-dev": 1002, "ivan-infra": 1003}


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FakeGitHub:
    hook_url: str = ""  # where deployment_status events go (the infragate server's /webhooks/github)
    hook_secret: str = ""
    page_size: int = 2
    limit_next: int = 0  # rate-limit this many requests (403 + x-ratelimit-remaining: 0, then 429 + Retry-After)
    reset_in_s: int = 0  # when the primary limit resets, from now
    protections: dict[str, dict[str, Any]] = field(default_factory=dict)  # "owner/repo:branch" -> GET form
    environments: dict[str, dict[str, Any]] = field(default_factory=dict)  # "owner/repo:name" -> GET form
    deployments: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    delivered: list[int] = field(default_factory=list)  # the infragate server's answers to our webhooks
    _ids: itertools.count = field(default_factory=lambda: itertools.count(500))  # type: ignore[type-arg]

    def app(self) -> Starlette:
        repo = "/repos/{owner}/{repo}"
        return Starlette(
            routes=[
                Route(repo + "/branches/{branch}/protection", self.protection, methods=["GET", "PUT"]),
                Route(repo + "/environments/{name}", self.environment, methods=["GET", "PUT"]),
                Route("/users/{login}", self.user, methods=["GET"]),
                Route(repo + "/deployments", self.deployment_list, methods=["GET", "POST"]),
                Route(repo + "/deployments/{id:int}/statuses", self.status, methods=["POST"]),
            ]
        )

    def _refused(self, request: Request) -> Response | None:
        self.calls.append(f"{request.method} {request.url.path}")
        if self.limit_next > 0:
            self.limit_next -= 1
            if self.limit_next % 2:
                reset = str(int(datetime.now(UTC).timestamp()) + self.reset_in_s)  # 0: due, the client waits 0 s
                headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
                return JSONResponse({"message": "API rate limit exceeded"}, 403, headers=headers)
            return JSONResponse({"message": "secondary rate limit"}, 429, headers={"retry-after": "0"})
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return JSONResponse({"message": "Bad credentials", "documentation_url": "https://docs.github.com"}, 401)
        return None

    async def protection(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        key = f"{request.path_params['owner']}/{request.path_params['repo']}:{request.path_params['branch']}"
        if request.method == "GET":
            if key not in self.protections:
                return JSONResponse({"message": "Branch not protected"}, 404)
            return JSONResponse(self.protections[key])
        body = await request.json()
        required = ("required_status_checks", "enforce_admins", "required_pull_request_reviews", "restrictions")
        missing = [name for name in required if name not in body]
        if missing:
            return JSONResponse({"message": "Invalid request.", "errors": [f"{m} is missing" for m in missing]}, 422)
        checks = body["required_status_checks"] or {}
        reviews = body["required_pull_request_reviews"]
        self.protections[key] = {
            "url": str(request.url),
            "required_status_checks": {
                "strict": bool(checks.get("strict")),
                "contexts": [c["context"] for c in checks.get("checks", [])] + list(checks.get("contexts", [])),
                "checks": [{"context": c["context"], "app_id": None} for c in checks.get("checks", [])],
            }
            if body["required_status_checks"] is not None
            else None,
            "enforce_admins": {"enabled": bool(body["enforce_admins"])},
            "required_pull_request_reviews": dict(reviews) if reviews is not None else None,
            "allow_force_pushes": {"enabled": bool(body.get("allow_force_pushes", False))},
            "allow_deletions": {"enabled": bool(body.get("allow_deletions", False))},
        }
        return JSONResponse(self.protections[key])

    async def environment(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        name = request.path_params["name"]
        key = f"{request.path_params['owner']}/{request.path_params['repo']}:{name}"
        if request.method == "GET":
            if key not in self.environments:
                return JSONResponse({"message": "Not Found"}, 404)
            return JSONResponse(self.environments[key])
        body = await request.json()
        by_id = {user_id: login for login, user_id in USERS.items()}
        reviewers = body.get("reviewers") or []
        if len(reviewers) > 6 or any(r.get("type") == "User" and r.get("id") not in by_id for r in reviewers):
            return JSONResponse({"message": "Validation Failed", "errors": ["unknown reviewer"]}, 422)
        rules: list[dict[str, Any]] = []
        if reviewers:
            rules.append(
                {
                    "id": next(self._ids),
                    "type": "required_reviewers",
                    "prevent_self_review": bool(body.get("prevent_self_review")),
                    "reviewers": [
                        {"type": "User", "reviewer": {"login": by_id[r["id"]], "id": r["id"]}} for r in reviewers
                    ],
                }
            )
        self.environments[key] = {
            "id": next(self._ids),
            "name": name,
            "protection_rules": rules,
            "deployment_branch_policy": body.get("deployment_branch_policy"),
        }
        return JSONResponse(self.environments[key])

    async def user(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        login = request.path_params["login"]
        if login not in USERS:
            return JSONResponse({"message": "Not Found"}, 404)
        return JSONResponse({"login": login, "id": USERS[login], "type": "User"})

    async def deployment_list(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        repository = f"{request.path_params['owner']}/{request.path_params['repo']}"
        if request.method == "POST":
            body = await request.json()
            if not body.get("ref"):
                return JSONResponse({"message": "Validation Failed", "errors": ["ref is missing"]}, 422)
            made = {
                "id": next(self._ids),
                "sha": body["ref"],
                "ref": body["ref"],
                "task": body.get("task", "deploy"),
                "environment": body.get("environment", "production"),
                "payload": body.get("payload") or {},
                "creator": {"login": "infragate-bot"},
                "repository": repository,
                "created_at": now(),
            }
            self.deployments.append(made)
            return JSONResponse(made, 201)
        query = request.query_params
        found = [
            d
            for d in self.deployments
            if d["repository"] == repository
            and d["sha"] == query.get("sha", d["sha"])
            and d["environment"] == query.get("environment", d["environment"])
        ][::-1]
        page = int(query.get("page", "1"))
        size = min(int(query.get("per_page", "30")), self.page_size)
        items = found[(page - 1) * size : page * size]
        headers = {}
        if page * size < len(found):
            following = request.url.include_query_params(page=page + 1)
            headers["link"] = f'<{following}>; rel="next"'
        return JSONResponse(items, headers=headers)

    async def status(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        deployment = next((d for d in self.deployments if d["id"] == request.path_params["id"]), None)
        if deployment is None:
            return JSONResponse({"message": "Not Found"}, 404)
        body = await request.json()
        if body.get("state") not in ("error", "failure", "inactive", "in_progress", "queued", "pending", "success"):
            return JSONResponse({"message": "Validation Failed", "errors": ["state"]}, 422)
        status = {
            "id": next(self._ids),
            "state": body["state"],
            "log_url": body.get("log_url", ""),
            "environment": body.get("environment", deployment["environment"]),
            "creator": {"login": "infragate-bot"},
            "created_at": now(),
            "updated_at": now(),
        }
        self.statuses.append(status)
        if self.hook_url:
            threading.Thread(target=self._deliver, args=(deployment, status), daemon=True).start()
        return JSONResponse(status, 201)

    def deployment_status_event(self, deployment: dict[str, Any], status: dict[str, Any]) -> bytes:
        event = {
            "action": "created",
            "deployment_status": status,
            "deployment": {k: v for k, v in deployment.items() if k != "repository"},
            "repository": {"full_name": deployment["repository"]},
            "sender": {"login": "infragate-bot"},
        }
        return json.dumps(event).encode()

    def _deliver(self, deployment: dict[str, Any], status: dict[str, Any]) -> None:
        body = self.deployment_status_event(deployment, status)
        self.delivered.append(send_github(self.hook_url, self.hook_secret, body).status_code)


def send_github(
    url: str, secret: str, body: bytes, *, event: str = "deployment_status", delivery: str | None = None
) -> httpx.Response:
    """Deliver ``body`` as GitHub does: signed with X-Hub-Signature-256, with event and delivery headers."""
    headers = {
        "content-type": "application/json",
        "user-agent": "GitHub-Hookshot/fake",
        "x-github-event": event,
        "x-github-delivery": delivery or str(uuid.uuid4()),
        "x-hub-signature-256": github_signature(secret, body),
    }
    return httpx.post(url, content=body, headers=headers, timeout=30)
