"""DNS checks against an authoritative server (a small local one), and the exposure scan against local
sockets: designed records and ports pass, anything else fails, and nothing answering is an error, not a pass."""

from __future__ import annotations

import asyncio
import socket

from infragate.infratest.dns_checks import RecordExpectation, dns_checks
from infragate.infratest.exposure import scan
from infragate.infratest.results import Verdict
from tests.support.dns_server import authoritative


def test_records_answer_as_designed_and_a_changed_record_fails() -> None:
    records = {
        ("www.webshop.example.com.", "A"): ["192.0.2.10", "192.0.2.11"],
        ("mail.webshop.example.com.", "MX"): ["10 mx.example.net."],
    }
    with authoritative(records) as port:
        servers = [("127.0.0.1", port)]
        results = dns_checks(
            [
                RecordExpectation("www.webshop.example.com.", "A", frozenset({"192.0.2.10", "192.0.2.11"})),
                RecordExpectation("mail.webshop.example.com.", "MX", frozenset({"10 mx.example.net"})),
                RecordExpectation("api.webshop.example.com.", "A", frozenset({"192.0.2.20"})),  # not in the zone
                RecordExpectation("www.webshop.example.com.", "A", frozenset({"192.0.2.10"})),  # one too many
            ],
            servers,
            timeout=2,
        )
    assert [r.verdict for r in results] == [Verdict.PASSED, Verdict.PASSED, Verdict.FAILED, Verdict.FAILED]
    assert "answers nothing, designed 192.0.2.20" in results[2].detail


def test_no_authoritative_answer_is_an_error_never_a_pass() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:  # bound, never answers
        silent.bind(("127.0.0.1", 0))
        (result,) = dns_checks(
            [RecordExpectation("www.webshop.example.com.", "A", frozenset({"192.0.2.10"}))],
            [("127.0.0.1", silent.getsockname()[1])],
            timeout=0.3,
        )
    assert result.verdict is Verdict.ERROR and "no authoritative server answered" in result.detail


def test_only_designed_ports_may_answer() -> None:
    opened, extra = socket.socket(), socket.socket()
    for sock in (opened, extra):
        sock.bind(("127.0.0.1", 0))
        sock.listen()
    designed, stray = opened.getsockname()[1], extra.getsockname()[1]
    try:
        ports = (designed, stray)
        clean = asyncio.run(scan("127.0.0.1", frozenset(ports), 1.0, ports=ports))
        exposed = asyncio.run(scan("127.0.0.1", frozenset({designed}), 1.0, ports=ports))
    finally:
        opened.close()
        extra.close()
    assert clean.verdict is Verdict.PASSED
    assert exposed.verdict is Verdict.FAILED and f"open beyond the design: {stray}" in exposed.detail
