"""An httpx transport that connects only where the scope says: a declared endpoint's host goes to its pinned
address (as ``curl --resolve`` does; Host and TLS SNI stay the URL's), and anything else is refused. Proxies
from the environment are ignored, so nothing travels through a third party."""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import TypeAlias

import httpcore
import httpx

from infragate.errors import UsageError
from infragate.infratest.scope import Scope

# httpcore's socket option: (level, option, value) or (level, option, None, length)
SocketOption: TypeAlias = tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
MAX_CONNECTIONS = 4  # per client: TLS handshakes cost more than waiting on a local server, and a test is no load


class ScopedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            address, real_port = self.scope.connect_to(host, port)
        except UsageError as refused:
            raise httpcore.ConnectError(refused.message) from None
        return await self.inner.connect_tcp(address, real_port, timeout, local_address, socket_options)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[SocketOption] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("refused: tests never use unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class ScopedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, scope: Scope, context: ssl.SSLContext, *, http2: bool) -> None:
        super().__init__(verify=context, http2=http2, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            http1=True,
            http2=http2,
            max_connections=MAX_CONNECTIONS,
            network_backend=ScopedBackend(scope),
        )


def client(scope: Scope, context: ssl.SSLContext, *, http2: bool, timeout: float) -> httpx.AsyncClient:
    """A client for the scope's endpoints: no redirects followed, no proxies, no cookies kept between requests
    (each check and case stands alone), a timeout on everything."""
    jar = CookieJar(DefaultCookiePolicy(allowed_domains=[]))  # accepts no cookie from any domain
    return httpx.AsyncClient(
        cookies=jar,
        transport=ScopedTransport(scope, context, http2=http2),
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": "infragate-test/1 (ICP-3.2)"},
    )
