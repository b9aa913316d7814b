"""DNS checks, with dnspython, asked of the zone's authoritative name servers (never a recursive resolver, so a
stale cache cannot pass a record): each designed record answers as designed, and an alias answers with the
addresses of the distribution it points at."""

from __future__ import annotations

import time
from dataclasses import dataclass

import dns.exception
import dns.message
import dns.query
import dns.rdatatype
import dns.resolver

from infragate.infratest.results import Area, CheckResult, Verdict


@dataclass(frozen=True)
class RecordExpectation:
    fqdn: str  # www.webshop.example.com.
    rtype: str  # A, AAAA, CNAME, TXT, MX, …
    values: frozenset[str] | None  # what it must answer exactly; None for an alias
    alias_of: str | None = None  # an alias: the answers must include an address of this name (the distribution)


def ask(nameservers: list[tuple[str, int]], fqdn: str, rtype: str, timeout: float) -> tuple[set[str] | None, str]:
    """The record's answers from the first authoritative server that replies; None and why when none does."""
    query = dns.message.make_query(fqdn, dns.rdatatype.from_text(rtype))
    problems = []
    for address, port in nameservers:
        try:
            reply = dns.query.udp(query, address, port=port, timeout=timeout)
        except (dns.exception.DNSException, OSError) as failure:
            problems.append(f"{address}: {type(failure).__name__}")
            continue
        answers = {
            item.to_text().rstrip(".").lower()
            for rrset in reply.answer
            if rrset.rdtype == dns.rdatatype.from_text(rtype)
            for item in rrset
        }
        return answers, ""
    return None, "no authoritative server answered (" + ", ".join(problems) + ")"


def dns_checks(
    expectations: list[RecordExpectation], nameservers: list[tuple[str, int]], timeout: float
) -> list[CheckResult]:
    results = []
    for expected in expectations:
        started = time.perf_counter()
        target = f"{expected.fqdn.rstrip('.')} {expected.rtype}"
        answers, problem = ask(nameservers, expected.fqdn, expected.rtype, timeout)
        took = (time.perf_counter() - started) * 1000
        if answers is None:
            results.append(CheckResult(Area.DNS, "record", target, Verdict.ERROR, problem, took))
            continue
        if expected.alias_of is not None:
            results.append(_alias(expected, answers, target, took, timeout))
            continue
        wanted = {value.rstrip(".").lower() for value in expected.values or ()}
        ok = answers == wanted
        detail = f"answers {', '.join(sorted(answers)) or 'nothing'}" + (
            "" if ok else f", designed {', '.join(sorted(wanted))}"
        )
        results.append(CheckResult(Area.DNS, "record", target, Verdict.PASSED if ok else Verdict.FAILED, detail, took))
    return results


def _alias(expected: RecordExpectation, answers: set[str], target: str, took: float, timeout: float) -> CheckResult:
    resolver = dns.resolver.Resolver()
    resolver.lifetime = timeout
    try:
        theirs = {item.to_text().lower() for item in resolver.resolve(expected.alias_of or "", expected.rtype)}
    except dns.exception.DNSException as failure:
        return CheckResult(
            Area.DNS, "alias", target, Verdict.ERROR, f"{expected.alias_of}: {type(failure).__name__}", took
        )
    shared = answers & theirs
    detail = (
        f"resolves to {expected.alias_of} ({len(shared)} address(es) in common)"
        if shared
        else f"answers {', '.join(sorted(answers)) or 'nothing'}, none of them {expected.alias_of}'s"
    )
    return CheckResult(Area.DNS, "alias", target, Verdict.PASSED if shared else Verdict.FAILED, detail, took)
