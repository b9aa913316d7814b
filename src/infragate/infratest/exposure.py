"""Exposure: a TCP connect scan of the designed public addresses over a bounded list of ports. Only the ports
the design opens to the internet may answer; anything else answering is a finding."""

from __future__ import annotations

import asyncio
import contextlib
import time

from infragate.infratest.results import Area, CheckResult, Verdict

# Common service ports: remote access, databases, caches, admin consoles and web (bounded on purpose).
PORTS = (
    21,
    22,
    23,
    25,
    53,
    80,
    110,
    135,
    139,
    143,
    443,
    445,
    1433,
    1521,
    2049,
    2375,
    2376,
    3000,
    3306,
    3389,
    5000,
    5432,
    5601,
    5900,
    5984,
    6379,
    7001,
    8000,
    8080,
    8443,
    8888,
    9000,
    9090,
    9200,
    9300,
    11211,
    27017,
)
CONCURRENCY = 32


async def _open(address: str, port: int, timeout: float) -> bool:
    try:
        _reader, writer = await asyncio.wait_for(asyncio.open_connection(address, port), timeout)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


async def scan(address: str, allowed: frozenset[int], timeout: float, ports: tuple[int, ...] = PORTS) -> CheckResult:
    """Which of ``ports`` answer on ``address``; failed when one outside ``allowed`` does."""
    started = time.perf_counter()
    gate = asyncio.Semaphore(CONCURRENCY)

    async def probe(port: int) -> tuple[int, bool]:
        async with gate:
            return port, await _open(address, port, timeout)

    answered = sorted(
        port for port, open_ in await asyncio.gather(*(probe(p) for p in sorted(set(ports) | allowed))) if open_
    )
    extra = [port for port in answered if port not in allowed]
    took = (time.perf_counter() - started) * 1000
    designed = ", ".join(map(str, sorted(allowed))) or "none"
    detail = (
        f"open beyond the design: {', '.join(map(str, extra))} (the design opens {designed})"
        if extra
        else f"only designed ports answer ({', '.join(map(str, answered)) or 'none'})"
    )
    return CheckResult(
        Area.EXPOSURE,
        "open-ports",
        address,
        Verdict.FAILED if extra else Verdict.PASSED,
        detail,
        took,
        {"open": answered, "allowed": sorted(allowed)},
    )
