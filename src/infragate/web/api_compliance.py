"""Compliance frameworks over the API (ICP-5.3): a framework's report for an environment, and security's
signature on a manual requirement. The same use-cases as `infragate compliance`, as the caller."""

from __future__ import annotations

import base64
import binascii
import json
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from infragate.errors import UsageError
from infragate.reporting.frameworks import render_framework_csv, render_framework_html, render_framework_pdf
from infragate.web.api import Outcome, download, flow
from infragate.web.principals import principal
from infragate.web.problems import PROBLEM_RESPONSES
from infragate.workflow.accounts import Principal
from infragate.workflow.report import framework_report

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES, tags=["compliance"])
Caller = Annotated[Principal, Depends(principal)]
BASE = "/projects/{project}/environments/{environment}/frameworks/{framework}"
MEDIA = {
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
}


class FrameworkFormat(StrEnum):
    JSON = "json"
    HTML = "html"
    PDF = "pdf"
    CSV = "csv"


class SignatureIn(BaseModel):
    comment: str = Field(..., min_length=1, max_length=2000)
    attachment_name: str | None = Field(None, max_length=255)
    attachment_base64: str | None = Field(None, description="The attachment's bytes, base64 (at most 20 MiB).")


@router.get(
    BASE,
    response_class=Response,
    responses={200: {"content": {media: {} for media in MEDIA.values()}, "description": "The report"}},
)
def report(
    request: Request,
    caller: Caller,
    project: str,
    environment: str,
    framework: str,
    format: FrameworkFormat = FrameworkFormat.JSON,
) -> Response:
    """Each requirement of the framework judged for the environment: pass, fail, manual, not applicable or not
    evaluated, with its evidence and date."""
    data = framework_report(flow(request, caller, project), environment, framework)
    if format is FrameworkFormat.JSON:
        body: bytes = json.dumps(data, indent=2).encode()
    elif format is FrameworkFormat.HTML:
        body = render_framework_html(data).encode()
    elif format is FrameworkFormat.CSV:
        body = render_framework_csv(data).encode()
    else:
        body = render_framework_pdf(data)
    return download(body, MEDIA[format.value], f"{project}-{environment}-{framework}.{format.value}")


@router.post(BASE + "/requirements/{requirement}/signature", response_model=Outcome)
def sign(
    request: Request, caller: Caller, project: str, environment: str, framework: str, requirement: str,
    body: SignatureIn,
) -> Outcome:  # fmt: skip
    """Security signs a manual requirement, with a comment and an optional attachment."""
    attachment = None
    if body.attachment_base64 is not None:
        try:
            data = base64.b64decode(body.attachment_base64, validate=True)
        except (binascii.Error, ValueError):
            raise UsageError("attachment_base64 is not base64", hint="Encode the file's bytes as base64.") from None
        attachment = (body.attachment_name or "attachment", data)
    digest = flow(request, caller, project).sign_requirement(
        environment, framework, requirement, body.comment, attachment, request.app.state.settings.home
    )
    return Outcome(result=f"signed{f' (attachment sha256 {digest})' if digest else ''}")
