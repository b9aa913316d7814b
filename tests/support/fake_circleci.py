"""A local fake of CircleCI (../shared/reference/service-apis.md §3): the API v2 reads infragate makes
(``/workflow/{id}``, ``/workflow/{id}/job``, paged with ``next_page_token``; Circle-Token auth; a 429 with
Retry-After when asked) and the outbound webhooks of a workflow run: a signed ``job-completed`` per build job
and a ``workflow-completed`` at the end. Approval jobs send no webhook, as on CircleCI; the API shows them."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from infragate.cicd.signatures import circleci_signature

TOKEN = "CCIPAT_fake_token_0123456789"
SLUG = "gh/acme/webshop"


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Job:
    name: str
    status: str = "success"
    type: str = "build"


@dataclass
class FakeCircleCI:
    hook_url: str = ""  # the infragate server's /webhooks/circleci
    hook_secret: str = ""
    page_size: int = 2
    rate_limit_next: int = 0
    workflows: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    delivered: list[httpx.Response] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/v2/workflow/{id}", self.workflow, methods=["GET"]),
                Route("/api/v2/workflow/{id}/job", self.workflow_jobs, methods=["GET"]),
            ]
        )

    def _refused(self, request: Request) -> Response | None:
        self.calls.append(f"{request.method} {request.url.path}?{request.url.query}")
        if self.rate_limit_next > 0:
            self.rate_limit_next -= 1
            return JSONResponse({"message": "Rate limit exceeded"}, 429, headers={"retry-after": "0"})
        if request.headers.get("circle-token") != TOKEN:
            return JSONResponse({"message": "You must log in first."}, 401)
        return None

    async def workflow(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        found = self.workflows.get(request.path_params["id"])
        return JSONResponse(found) if found else JSONResponse({"message": "Workflow not found"}, 404)

    async def workflow_jobs(self, request: Request) -> Response:
        if (refused := self._refused(request)) is not None:
            return refused
        items = self.jobs.get(request.path_params["id"])
        if items is None:
            return JSONResponse({"message": "Workflow not found"}, 404)
        start = int(request.query_params.get("page-token") or 0)
        page = items[start : start + self.page_size]
        following = str(start + self.page_size) if start + self.page_size < len(items) else None
        return JSONResponse({"items": page, "next_page_token": following})

    def run(self, sha: str, jobs: list[Job], *, branch: str = "main", slug: str = SLUG) -> str:
        """A finished workflow of ``jobs`` (in order) for commit ``sha``: kept for the API, and each build job's
        job-completed (then the workflow-completed) delivered, signed, to the hook. Returns its id."""
        workflow_id = str(uuid.uuid4())
        url = f"https://app.circleci.com/pipelines/github/acme/webshop/7/workflows/{workflow_id}"
        failed = any(job.status != "success" for job in jobs)
        workflow = {
            "id": workflow_id,
            "name": "policy",
            "status": "failed" if failed else "success",
            "project_slug": slug,
            "pipeline_number": 7,
            "created_at": now(),
            "stopped_at": now(),
            "url": url,
        }
        self.workflows[workflow_id] = workflow
        self.jobs[workflow_id] = [
            {
                "id": str(uuid.uuid4()),
                "name": job.name,
                "type": job.type,
                "status": job.status,
                "approved_by": str(uuid.uuid4()) if job.type == "approval" and job.status == "success" else None,
                "dependencies": [],
                "project_slug": slug,
            }
            for job in jobs
        ]
        for number, job in enumerate(jobs, start=1):
            if job.type == "build":
                self.send(self.event("job-completed", workflow, sha, branch, slug, job, number))
        self.send(self.event("workflow-completed", workflow, sha, branch, slug))
        return workflow_id

    def event(
        self,
        kind: str,
        workflow: dict[str, Any],
        sha: str,
        branch: str,
        slug: str,
        job: Job | None = None,
        number: int = 0,
    ) -> bytes:
        body: dict[str, Any] = {
            "type": kind,
            "id": str(uuid.uuid4()),
            "happened_at": now(),
            "webhook": {"id": "hook-1", "name": "infragate"},
            "project": {"id": "p-1", "name": slug.rsplit("/", 1)[-1], "slug": slug},
            "organization": {"id": "o-1", "name": "acme"},
            "workflow": {k: workflow[k] for k in ("id", "name", "status", "created_at", "stopped_at", "url")},
            "pipeline": {
                "id": "pl-1",
                "number": 7,
                "created_at": now(),
                "trigger": {"type": "webhook"},
                "vcs": {
                    "provider_name": "github",
                    "revision": sha,
                    "branch": branch,
                    "commit": {"subject": "change", "author": {"name": "Dara Dev", "email": "dara@example.com"}},
                },
            },
        }
        if job is not None:
            body["job"] = {
                "id": str(uuid.uuid4()),
                "number": number,
                "name": job.name,
                "status": job.status,
                "started_at": now(),
                "stopped_at": now(),
            }
        return json.dumps(body).encode()

    def send(self, body: bytes) -> httpx.Response:
        response = send_circleci(self.hook_url, self.hook_secret, body)
        self.delivered.append(response)
        return response


def send_circleci(url: str, secret: str, body: bytes, *, signature: str | None = None) -> httpx.Response:
    """Deliver ``body`` as CircleCI does: ``circleci-signature: v1=<hex>`` and the event type header."""
    kind = json.loads(body).get("type", "")
    headers = {
        "content-type": "application/json",
        "user-agent": "CircleCI-Webhook/1.0",
        "circleci-event-type": kind,
        "circleci-signature": signature if signature is not None else circleci_signature(secret, body),
    }
    return httpx.post(url, content=body, headers=headers, timeout=30)
