"""The scope proxy: every byte an external scanner (wapiti) sends goes through it, and it only connects where
the environment's scope allows, to the pinned address when the endpoint has one (so a scanner that knows
nothing of pins scans ``shop.staging.example`` on 127.0.0.1). Anything else is refused with 403 and noted:
the report lists what was refused, so off-scope links are seen, never followed.

It serves plain HTTP requests in absolute form (one request per client connection, ``Connection: close``)
and HTTPS by ``CONNECT`` tunnels. It runs on 127.0.0.1 in a thread of its own while the scanner runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import weakref
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from infragate.errors import UsageError
from infragate.infratest.scope import Scope

HEAD_LIMIT = 64 * 1024


@dataclass
class ProxyLog:
    """What the proxy let through and what it refused (thread-safe enough: only the proxy's loop writes)."""

    requests: int = 0  # plain requests and tunnels opened
    refused: dict[str, str] = field(default_factory=dict)  # destination -> why
    stopped_at_limit: bool = False


class ScopeProxy:
    """``with ScopeProxy(scope, max_requests=…) as proxy: run(…, "-p", proxy.url)``."""

    def __init__(self, scope: Scope, *, max_requests: int, deadline_s: float) -> None:
        self.scope, self.max_requests, self.deadline_s = scope, max_requests, deadline_s
        self.log = ProxyLog()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="infragate-scope-proxy", daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self._ends_at = 0.0
        # Every connection, both sides, closed for sure at exit; weak, so finished ones do not pile up.
        self._open: weakref.WeakSet[asyncio.StreamWriter] = weakref.WeakSet()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ScopeProxy:
        self._ends_at = time.monotonic() + self.deadline_s
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *_: object) -> None:
        with contextlib.suppress(Exception):  # close every tunnel: a server must not wait on our connections
            asyncio.run_coroutine_threadsafe(self._close_all(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _close_all(self) -> None:
        if self._server is not None:
            self._server.close()
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.sleep(0.05)  # closing a transport takes a turn of the loop: let the sockets really close

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = int(self._server.sockets[0].getsockname()[1])
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._server.close()
            for writer in list(self._open):
                writer.transport.abort()
            with contextlib.suppress(Exception):
                self._loop.run_until_complete(asyncio.sleep(0.05))  # connection_lost closes each socket
            self._loop.close()

    async def _connect(self, address: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection(address, port)
        self._open.add(writer)
        return reader, writer

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._open.add(writer)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        try:
            if len(head) > HEAD_LIMIT:
                raise UsageError("request head too large")
            await self._dispatch(head, reader, writer)
        except UsageError as refused:
            await _answer(writer, 403, refused.message)
        except (OSError, asyncio.IncompleteReadError, ValueError) as failed:
            await _answer(writer, 502, f"infragate scope proxy: {failed}")
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    def _allowed(self, host: str, port: int, shown: str) -> tuple[str, int]:
        if self.log.requests >= self.max_requests or time.monotonic() > self._ends_at:
            self.log.stopped_at_limit = True
            raise UsageError("the scan's request or time limit is reached")
        try:
            target = self.scope.connect_to(host, port)
        except UsageError as refused:
            self.log.refused[shown] = refused.message
            raise
        self.log.requests += 1
        return target

    async def _dispatch(self, head: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request_line, _, rest = head.decode("latin-1").partition("\r\n")
        method, target, version = [*request_line.split(" "), "", "", ""][:3]
        if method.upper() == "CONNECT":
            host, _, port = target.rpartition(":")
            address, real_port = self._allowed(host.strip("[]"), int(port or 443), f"https://{target}")
            upstream_reader, upstream_writer = await self._connect(address, real_port)
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await _pipe_both(reader, writer, upstream_reader, upstream_writer)
            return
        parts = urlsplit(target)
        if parts.scheme != "http" or not parts.hostname:
            raise UsageError(f"only absolute http:// requests and CONNECT are proxied, not {target[:80]}")
        address, real_port = self._allowed(parts.hostname, parts.port or 80, target.split("?")[0])
        path = parts.path or "/"
        headers = [
            line
            for line in rest.split("\r\n")
            if line and not line.lower().startswith(("proxy-connection:", "connection:", "keep-alive:"))
        ]
        forwarded = f"{method} {path}{'?' + parts.query if parts.query else ''} {version}\r\n"
        forwarded += "\r\n".join([*headers, "Connection: close"]) + "\r\n\r\n"
        upstream_reader, upstream_writer = await self._connect(address, real_port)
        upstream_writer.write(forwarded.encode("latin-1"))
        length = next((int(line.split(":", 1)[1]) for line in headers if line.lower().startswith("content-length:")), 0)
        if length:
            upstream_writer.write(await reader.readexactly(length))
        try:
            await upstream_writer.drain()
            await _copy(upstream_reader, writer)
        finally:
            upstream_writer.close()


async def _copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while chunk := await source.read(65536):
            sink.write(chunk)
            await sink.drain()


async def _pipe_both(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    upstream_reader: asyncio.StreamReader,
    upstream_writer: asyncio.StreamWriter,
) -> None:
    # When either side is done the tunnel is: a keep-alive server would otherwise hold it open for ever.
    tasks = {
        asyncio.ensure_future(_copy(reader, upstream_writer)),
        asyncio.ensure_future(_copy(upstream_reader, writer)),
    }
    _done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    upstream_writer.close()


async def _answer(writer: asyncio.StreamWriter, status: int, message: str) -> None:
    body = message.encode()
    reason = {403: "Forbidden", 502: "Bad Gateway"}.get(status, "Error")
    with contextlib.suppress(ConnectionError, OSError):
        writer.write(
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
            f"Connection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
