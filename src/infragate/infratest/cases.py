"""The design's own test cases: a request, and what its answer must be (status, body, headers, JSON values,
latency). Every unmet expectation is named in the check's detail."""

from __future__ import annotations

import json
import re
import time

import httpx

from infragate.errors import UsageError
from infragate.infratest.results import Area, CheckResult, Verdict
from infragate.infratest.scope import Scope
from infragate.model.testing import Endpoint, TestCase

MISSING = object()


async def run_case(
    case: TestCase, endpoints: tuple[Endpoint, ...], scope: Scope, client: httpx.AsyncClient
) -> CheckResult:
    request = case.request
    if request.endpoint >= len(endpoints):
        detail = f"request.endpoint {request.endpoint}: the environment declares {len(endpoints)} endpoint(s)"
        return CheckResult(Area.CASES, case.name, request.path, Verdict.ERROR, detail)
    url = str(endpoints[request.endpoint].url).rstrip("/") + request.path
    started = time.perf_counter()
    try:
        scope.destination(url)
        response = await client.request(
            request.method,
            url,
            headers=request.headers,
            content=request.body.encode() if request.body is not None else None,
            json=request.json_body,
        )
    except UsageError as refused:
        return CheckResult(Area.CASES, case.name, url, Verdict.ERROR, refused.message)
    except httpx.HTTPError as failure:
        took = (time.perf_counter() - started) * 1000
        return CheckResult(Area.CASES, case.name, url, Verdict.ERROR, f"no answer: {type(failure).__name__}", took)
    took = (time.perf_counter() - started) * 1000
    problems = _unmet(case, response, took)
    verdict = Verdict.FAILED if problems else Verdict.PASSED
    detail = "; ".join(problems) if problems else f"{request.method} {request.path}: {response.status_code} as expected"
    return CheckResult(Area.CASES, case.name, url, verdict, detail, took, {"status": response.status_code})


def _unmet(case: TestCase, response: httpx.Response, took_ms: float) -> list[str]:
    expect, problems = case.expect, []
    if expect.status is not None and response.status_code != expect.status:
        problems.append(f"status {response.status_code}, expected {expect.status}")
    text = response.text
    if expect.body_contains is not None and expect.body_contains not in text:
        problems.append(f"the body does not contain '{expect.body_contains}'")
    if expect.body_matches is not None and not re.search(expect.body_matches, text):
        problems.append(f"the body does not match /{expect.body_matches}/")
    for name, header in expect.headers.items():
        got = response.headers.get(name)
        if got is None:
            problems.append(f"no {name} header")
        elif header is not None and got != header:
            problems.append(f"{name} is '{got}', expected '{header}'")
    if expect.json_equals:
        try:
            document = json.loads(text)
        except ValueError:
            problems.append("the body is not JSON")
        else:
            for path, wanted in expect.json_equals.items():
                got = _at(document, path)
                if got is MISSING:
                    problems.append(f"no {path} in the JSON body")
                elif got != wanted:
                    problems.append(f"{path} is {json.dumps(got)[:80]}, expected {json.dumps(wanted)[:80]}")
    if expect.max_ms is not None and took_ms > expect.max_ms:
        problems.append(f"took {took_ms:.0f} ms, more than {expect.max_ms} ms")
    return problems


def _at(document: object, path: str) -> object:
    """The value at a dotted path (items.0.name); MISSING when there is none."""
    current = document
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return MISSING
    return current
