"""Test traffic only reaches what the environment declares: anything else is refused before a byte is sent,
pins point only at loopback or the environment's own addresses, proxies from the environment are ignored, and
an unpinned endpoint on embedded AWS is not applicable rather than looked up on the internet."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from infragate.errors import UsageError
from infragate.infratest.results import Verdict
from infragate.infratest.runner import TestPlan, run_tests
from infragate.infratest.scope import Scope
from infragate.model.testing import Endpoint, TestCase
from tests.support.workloads import HOST, Served


class Listener:
    """A socket on 127.0.0.1 that counts the connections it receives (none, in these tests)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            connection.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    yield found
    found.close()


def test_urls_that_are_not_declared_endpoints_are_refused_by_name() -> None:
    declared = Endpoint.model_validate({"url": f"https://{HOST}", "resolve": "127.0.0.1:8443"})
    scope = Scope.of("staging", (declared,), frozenset(), embedded=True)
    assert scope.destination(f"https://{HOST}/api").connect_port == 8443
    for url, says in (
        ("https://evil.example.com/", "not an endpoint of staging"),
        (f"https://{HOST}:444/", "not an endpoint of staging"),
        ("ftp://staging.webshop.example.com/", "only http and https"),
        (f"https://{HOST}.evil.example/", "not an endpoint"),
    ):
        with pytest.raises(UsageError, match=says):
            scope.destination(url)


def test_a_pin_points_only_at_loopback_or_the_environments_own_addresses() -> None:
    pinned_away = Endpoint.model_validate({"url": f"https://{HOST}", "resolve": "93.184.216.34:443"})
    with pytest.raises(UsageError, match="neither loopback nor one of the environment's Elastic IPs"):
        Scope.of("production", (pinned_away,), frozenset(), embedded=False)
    owned = Scope.of("production", (pinned_away,), frozenset({"93.184.216.34"}), embedded=False)
    assert owned.destination(f"https://{HOST}/").address == "93.184.216.34"
    with pytest.raises(ValueError, match="not ADDRESS:PORT"):
        Endpoint.model_validate({"url": f"https://{HOST}", "resolve": "localhost:8443"})  # a name is not a pin


def test_a_declared_case_aimed_elsewhere_sends_nothing(good: Served, listener: Listener) -> None:
    endpoint = Endpoint.model_validate({"url": f"https://{HOST}", **good.pins})
    outsider = Endpoint.model_validate({"url": "https://other.example.com", "resolve": f"127.0.0.1:{listener.port}"})
    case = TestCase.model_validate(
        {"name": "other", "request": {"path": "/", "endpoint": 1}, "expect": {"status": 200}}
    )
    scope = Scope.of("staging", (endpoint,), frozenset(), embedded=True)  # the outsider is not in scope
    plan = TestPlan(
        "staging", scope, (endpoint, outsider), cases=(case,), ca_bundle=good.ca_file, dns="n/a", exposure="n/a"
    )
    report = run_tests(plan)
    result = next(r for r in report.results if r.check == "other")
    assert result.verdict is Verdict.ERROR and "refused https://other.example.com" in result.detail
    assert listener.accepted == 0


def test_proxies_in_the_environment_are_ignored(
    good: Served, listener: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{listener.port}")
    endpoint = Endpoint.model_validate({"url": f"https://{HOST}", **good.pins})
    scope = Scope.of("staging", (endpoint,), frozenset(), embedded=True)
    report = run_tests(TestPlan("staging", scope, (endpoint,), ca_bundle=good.ca_file, dns="n/a", exposure="n/a"))
    assert next(r for r in report.results if r.check == "status").verdict is Verdict.PASSED
    assert listener.accepted == 0


def test_on_embedded_aws_an_unpinned_endpoint_is_refused_not_looked_up() -> None:
    unpinned = Endpoint.model_validate({"url": "https://www.webshop.example.com"})
    scope = Scope.of("production", (unpinned,), frozenset(), embedded=True)
    with pytest.raises(UsageError, match="must be pinned to a local address"):
        scope.destination("https://www.webshop.example.com/")


def test_the_workflow_lists_unpinned_embedded_endpoints_as_not_applicable(tmp_path: Path) -> None:
    from infragate.design import load_design
    from infragate.settings import load_settings
    from infragate.store import open_store
    from infragate.workflow.infra_testing import InfraTesting, TestOptions
    from tests.support.acting import Person
    from tests.support.workloads import unpinned_production

    flow = Person(open_store(load_settings()), load_design(unpinned_production(tmp_path)), "dara.dev@example.com")
    plan, skipped = InfraTesting(flow.work, load_settings(), "production").plan(TestOptions())
    assert plan.endpoints == ()
    assert {r.target for r in skipped} == {"https://www.webshop.example.com/", "https://api.webshop.example.com/"}
    assert all(r.verdict is Verdict.NOT_APPLICABLE and "not pinned" in r.detail for r in skipped)
