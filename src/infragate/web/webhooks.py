"""Webhook receivers: ``POST /webhooks/github`` and ``POST /webhooks/circleci``. No session or token: a
delivery is trusted by its signature alone, which the application layer checks (``workflow.webhook_intake``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from infragate.cicd.circleci import CircleCI
from infragate.web.problems import PROBLEM_RESPONSES
from infragate.workflow import webhook_intake

API_TIMEOUT_S = 4.0  # CircleCI gives up on a delivery after about 5 s (and retries it: a replay, refused)
router = APIRouter(prefix="/webhooks", tags=["webhooks"], responses=PROBLEM_RESPONSES)


class ReceiptOut(BaseModel):
    project: str
    outcome: str  # recorded, kept, ignored
    detail: str
    run: int | None


async def _take(request: Request, provider: str) -> ReceiptOut:
    body = await request.body()
    headers = {name.lower(): value for name, value in request.headers.items()}
    circleci = CircleCI.from_environment(timeout=API_TIMEOUT_S)
    try:
        receipt = await run_in_threadpool(  # the store is synchronous: keep the event loop free
            webhook_intake.receive,
            request.app.state.store,
            request.app.state.settings,
            provider,
            headers,
            body,
            circleci=circleci,
        )
    finally:
        if circleci is not None:
            circleci.api.close()  # one client per delivery: its connections go with it
    return ReceiptOut(project=receipt.project, outcome=receipt.outcome, detail=receipt.detail, run=receipt.run_id)


@router.post("/github", response_model=ReceiptOut)
async def github(request: Request) -> ReceiptOut:
    """GitHub ``deployment_status`` (and ``ping``) deliveries, signed with X-Hub-Signature-256."""
    return await _take(request, "github")


@router.post("/circleci", response_model=ReceiptOut)
async def circleci(request: Request) -> ReceiptOut:
    """CircleCI ``job-completed`` and ``workflow-completed`` deliveries, signed with circleci-signature (v1)."""
    return await _take(request, "circleci")
