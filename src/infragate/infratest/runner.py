"""One test run: every check the plan asks for, run concurrently (or one after another, to measure the
difference), bounded in requests and time, against the scope's destinations only."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from infragate.errors import UsageError
from infragate.infratest.cases import run_case
from infragate.infratest.dns_checks import RecordExpectation, dns_checks
from infragate.infratest.exposure import scan
from infragate.infratest.http_checks import endpoint_checks
from infragate.infratest.results import Area, CheckResult, TestReport, Verdict
from infragate.infratest.scope import Scope
from infragate.infratest.tls_checks import tls_checks
from infragate.infratest.transport import client
from infragate.model.testing import Endpoint, TestCase

CONCURRENCY = 16  # checks at once: a test is not a load test


@dataclass(frozen=True)
class DnsPlan:
    nameservers: list[tuple[str, int]]
    expectations: list[RecordExpectation]


@dataclass(frozen=True)
class TestPlan:
    """What to check in one environment, and why an area cannot be (a reason instead of a plan)."""

    __test__ = False

    environment: str
    scope: Scope
    endpoints: tuple[Endpoint, ...]
    cases: tuple[TestCase, ...] = ()
    ca_bundle: Path | None = None
    min_cert_days: int = 30
    timeout: float = 10.0
    dns: DnsPlan | str = "not applicable: no DNS plan"  # a reason when DNS cannot be checked here
    exposure: dict[str, frozenset[int]] | str = "not applicable: no designed public address"
    areas: frozenset[Area] = field(default_factory=lambda: frozenset(Area))


def ssl_context(ca_bundle: Path | None) -> ssl.SSLContext:
    """The system's trust store, plus the environment's CA bundle when it declares one."""
    context = ssl.create_default_context()
    if ca_bundle is not None:
        try:
            context.load_verify_locations(cafile=str(ca_bundle))
        except (OSError, ssl.SSLError) as problem:
            raise UsageError(
                f"the CA bundle {ca_bundle} cannot be read ({problem})", hint="Point ca_bundle at a PEM file."
            ) from None
    context.set_alpn_protocols(["h2", "http/1.1"])
    return context


async def _run(plan: TestPlan, sequential: bool) -> list[CheckResult]:
    context = ssl_context(plan.ca_bundle)
    async with (
        client(plan.scope, context, http2=False, timeout=plan.timeout) as http1,
        client(plan.scope, context, http2=True, timeout=plan.timeout) as http2,
    ):
        requests: list[Callable[[], Awaitable[list[CheckResult]]]] = []
        if Area.HTTP in plan.areas:
            requests += [_bind_endpoint(endpoint, plan.scope, http1, http2) for endpoint in plan.endpoints]
        if Area.CASES in plan.areas:
            requests += [_bind_case(case, plan, http1) for case in plan.cases]
        if Area.DNS in plan.areas:
            requests.append(_bind_dns(plan))
        if Area.EXPOSURE in plan.areas:
            requests += _exposure_jobs(plan)
        scans = [_bind_tls(plan, endpoint) for endpoint in plan.endpoints] if Area.TLS in plan.areas else []
        if sequential:
            return [result for job in requests + scans for result in await job()]
        # Two phases: the requests at once, then the TLS scans at once. SSLyze runs threads of its own; run
        # beside the event loop they fight over the interpreter and both slow down (measured by the bench).
        return await _together(requests) + await _together(scans)


async def _together(jobs: list[Callable[[], Awaitable[list[CheckResult]]]]) -> list[CheckResult]:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def bounded(job: Callable[[], Awaitable[list[CheckResult]]]) -> list[CheckResult]:
        async with gate:
            return await job()

    return [result for batch in await asyncio.gather(*(bounded(job) for job in jobs)) for result in batch]


def _bind_endpoint(
    endpoint: Endpoint, scope: Scope, http1: object, http2: object
) -> Callable[[], Awaitable[list[CheckResult]]]:
    async def job() -> list[CheckResult]:
        return await endpoint_checks(endpoint, scope, http1, http2)  # type: ignore[arg-type]

    return job


def _bind_tls(plan: TestPlan, endpoint: Endpoint) -> Callable[[], Awaitable[list[CheckResult]]]:
    async def job() -> list[CheckResult]:
        url = str(endpoint.url)
        if endpoint.url.scheme != "https":
            return [CheckResult(Area.TLS, "tls", url, Verdict.FAILED, "plain HTTP: nothing is encrypted")]
        try:
            destination = plan.scope.destination(url)
        except UsageError as refused:
            return [CheckResult(Area.TLS, "tls", url, Verdict.ERROR, refused.message)]
        return await asyncio.to_thread(tls_checks, destination, plan.ca_bundle, plan.min_cert_days, plan.timeout)

    return job


def _bind_case(case: TestCase, plan: TestPlan, http1: object) -> Callable[[], Awaitable[list[CheckResult]]]:
    async def job() -> list[CheckResult]:
        return [await run_case(case, plan.endpoints, plan.scope, http1)]  # type: ignore[arg-type]

    return job


def _bind_dns(plan: TestPlan) -> Callable[[], Awaitable[list[CheckResult]]]:
    async def job() -> list[CheckResult]:
        if isinstance(plan.dns, str):
            return [CheckResult(Area.DNS, "records", plan.environment, Verdict.NOT_APPLICABLE, plan.dns)]
        dns = plan.dns
        return await asyncio.to_thread(dns_checks, dns.expectations, dns.nameservers, plan.timeout)

    return job


def _exposure_jobs(plan: TestPlan) -> list[Callable[[], Awaitable[list[CheckResult]]]]:
    if isinstance(plan.exposure, str):
        reason = plan.exposure

        async def not_applicable() -> list[CheckResult]:
            return [CheckResult(Area.EXPOSURE, "open-ports", plan.environment, Verdict.NOT_APPLICABLE, reason)]

        return [not_applicable]
    jobs: list[Callable[[], Awaitable[list[CheckResult]]]] = []
    for address, allowed in sorted(plan.exposure.items()):
        if not plan.scope.address_allowed(address):  # only the environment's own addresses are ever scanned
            raise UsageError(f"refused to scan {address}: not a designed public address of {plan.environment}")

        async def job(address: str = address, allowed: frozenset[int] = allowed) -> list[CheckResult]:
            return [await scan(address, allowed, min(plan.timeout, 2.0))]

        jobs.append(job)
    return jobs


def run_tests(plan: TestPlan, *, sequential: bool = False) -> TestReport:
    started = time.perf_counter()
    results = asyncio.run(_run(plan, sequential))
    return TestReport(plan.environment, tuple(results), (time.perf_counter() - started) * 1000)
