"""A bounded crawler inside the scan's scope: it follows links, GET forms and redirects on the endpoint's host
under its path prefix, and lists every other link it saw (off-scope) without requesting it. Every request
goes through ``Budget``: the scan's rate, request and time limits, counted in one place."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx

from infragate.errors import UsageError


class LimitReachedError(Exception):
    """The scan's request or time budget is spent: stop asking, keep what was found."""


@dataclass
class Budget:
    """Requests per second, total requests and seconds for one scan (shared by every check of the scan)."""

    client: httpx.AsyncClient
    rate: float  # requests per second
    max_requests: int
    deadline: float  # time.monotonic() after which nothing is sent
    sent: int = 0
    _next_at: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def request(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        async with self._lock:
            now = time.monotonic()
            if self.sent >= self.max_requests or now > self.deadline:
                raise LimitReachedError
            wait = self._next_at - now
            self._next_at = max(now, self._next_at) + 1.0 / self.rate
            self.sent += 1
        if wait > 0:
            await asyncio.sleep(wait)
        return await self.client.request(method, url, **kwargs)  # type: ignore[arg-type]


class _Links(HTMLParser):
    """href, src and GET-form actions (with their fields as an example query) of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.subresources: list[str] = []  # script, img, iframe, stylesheet: what mixed content is about
        self._form: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "a" and found.get("href"):
            self.links.append(found["href"])
        elif tag in ("script", "img", "iframe", "audio", "video", "source") and found.get("src"):
            self.subresources.append(found["src"])
        elif tag == "link" and "stylesheet" in found.get("rel", "").lower() and found.get("href"):
            self.subresources.append(found["href"])
        elif tag == "form" and found.get("method", "get").lower() == "get":
            self._form = (found.get("action", ""), [])
        elif tag in ("input", "select", "textarea") and self._form is not None and found.get("name"):
            self._form[1].append(found["name"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form is not None:
            action, names = self._form
            self.links.append(action + ("?" + "&".join(f"{n}=1" for n in names) if names else ""))
            self._form = None


@dataclass
class Page:
    url: str
    response: httpx.Response
    subresources: list[str]


@dataclass
class Crawl:
    pages: list[Page] = field(default_factory=list)
    off_scope: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    complete: bool = True  # False when a limit stopped it


def in_scope(url: str, base: str) -> bool:
    """Same scheme, host and port as the endpoint, and under its path prefix."""
    target, root = urlsplit(url), urlsplit(base)
    prefix = root.path if root.path.endswith("/") else root.path + "/"
    return (target.scheme, (target.hostname or "").lower(), target.port) == (
        root.scheme,
        (root.hostname or "").lower(),
        root.port,
    ) and (target.path == root.path or target.path.startswith(prefix) or root.path in ("", "/"))


async def crawl(budget: Budget, starts: list[str], max_pages: int) -> Crawl:
    """Breadth first from ``starts`` (the endpoint first: it is the scope); HTML pages are parsed for links,
    everything answered is kept."""
    result = Crawl()
    base = starts[0]
    queue = [url for url in dict.fromkeys(starts) if in_scope(url, base)]
    seen = set(queue)
    while queue and len(result.pages) < max_pages:
        url = queue.pop(0)
        try:
            response = await budget.request("GET", url)
        except LimitReachedError:
            result.complete = False
            break
        except (httpx.HTTPError, UsageError) as failed:
            result.errors.append(f"{url}: {failed}")
            continue
        parser = _Links()
        if "html" in response.headers.get("content-type", ""):
            parser.feed(response.text[:2_000_000])
        result.pages.append(Page(url, response, [urljoin(url, s) for s in parser.subresources]))
        found = list(parser.links)
        if response.is_redirect and response.headers.get("location"):
            found.append(response.headers["location"])
        for link in found:
            absolute = urldefrag(urljoin(url, link.strip())).url
            if not absolute.startswith(("http://", "https://")):
                continue  # mailto:, javascript:, data: …
            if not in_scope(absolute, base):
                result.off_scope.add(absolute)
            elif absolute not in seen:
                seen.add(absolute)
                queue.append(absolute)
    if queue:
        result.complete = False
    return result
