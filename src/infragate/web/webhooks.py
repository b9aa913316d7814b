"""Webhook receivers: ``POST /webhooks/github`` and ``POST /webhooks/circleci``. No session or token: a
delivery is trusted by its signature alone, which the application layer checks (``workflow.webhook_intake``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from infragate.web.problems import PROBLEM_RESPONSES
from infragate.web.routes import unit_of_work
from infragate.workflow.bus import handle
from infragate.workflow.context import Caller
from infragate.workflow.deployments import Receipt
from infragate.workflow.webhook_intake import ReceiveWebhook

router = APIRouter(prefix="/webhooks", tags=["webhooks"], responses=PROBLEM_RESPONSES)
NOBODY = Caller("", via="webhook")  # the delivery's signature, not a person, is what is trusted


async def _take(request: Request, provider: str) -> Receipt:
    body = await request.body()
    headers = {name.lower(): value for name, value in request.headers.items()}
    delivery = ReceiveWebhook(provider=provider, headers=headers, body=body)
    # the store is synchronous: keep the event loop free
    return await run_in_threadpool(handle, delivery, NOBODY, unit_of_work(request))


@router.post("/github", response_model=Receipt)
async def github(request: Request) -> Receipt:
    """GitHub ``deployment_status`` (and ``ping``) deliveries, signed with X-Hub-Signature-256."""
    return await _take(request, "github")


@router.post("/circleci", response_model=Receipt)
async def circleci(request: Request) -> Receipt:
    """CircleCI ``job-completed`` and ``workflow-completed`` deliveries, signed with circleci-signature (v1)."""
    return await _take(request, "circleci")
