"""The scope proxy every external scanner goes through: declared endpoints reach their pinned address (the
scanner never needs to know the pin), everything else is refused before a connection is made, and listed."""

from __future__ import annotations

import ssl

import httpx
import pytest

from infragate.infratest.scope import Scope
from infragate.model.testing import Endpoint
from infragate.scan.proxy import ScopeProxy
from tests.support.workloads import HOST, Served


def proxy_for(served: Served, **limits: float) -> ScopeProxy:
    endpoint = Endpoint(url=f"https://{HOST}/", resolve=f"127.0.0.1:{served.https_port}")
    scope = Scope.of("staging", (endpoint,), frozenset(), embedded=True)
    return ScopeProxy(scope, max_requests=int(limits.get("max_requests", 100)), deadline_s=60)


def test_a_declared_endpoint_is_reached_at_its_pin_and_anything_else_is_refused(good: Served) -> None:
    with (
        proxy_for(good) as proxy,
        httpx.Client(
            proxy=proxy.url, verify=ssl.create_default_context(cafile=str(good.ca_file)), trust_env=False
        ) as client,
    ):
        assert client.get(f"https://{HOST}/").status_code == 200  # CONNECT to the declared host, pinned
        refused = client.get("http://example.org/")  # an absolute request for another host
        assert refused.status_code == 403 and "not an endpoint of staging" in refused.text
        with pytest.raises(httpx.ProxyError, match="403"):
            client.get("https://example.org/")  # CONNECT to another host
    assert set(proxy.log.refused) == {"http://example.org/", "https://example.org:443"}
    assert proxy.log.requests == 1


def test_the_request_limit_stops_the_scanner(good: Served) -> None:
    with (
        proxy_for(good, max_requests=2) as proxy,
        httpx.Client(
            proxy=proxy.url, verify=ssl.create_default_context(cafile=str(good.ca_file)), trust_env=False
        ) as client,
    ):
        statuses = [client.get(f"https://{HOST}/", headers={"Connection": "close"}).status_code for _ in range(2)]
        assert statuses == [200, 200]
        with pytest.raises(httpx.ProxyError, match="403"):
            client.get(f"https://{HOST}/other", headers={"Connection": "close"})
    assert proxy.log.stopped_at_limit
