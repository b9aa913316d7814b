"""A local fake of a ZAP daemon's API (../shared/reference/service-apis.md §7). The zaproxy client sends its
calls as absolute-URI requests for the pseudo-host ``zap`` through the proxy it is given, with the key in
``X-ZAP-API-Key``; every answer is a single-key JSON object the client unwraps. The spider and the active
scan report progress over a few polls; alerts are paged with ``start``/``count``."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

KEY = "zap-test-key"


@dataclass
class FakeZap:
    alerts: list[dict[str, Any]] = field(default_factory=list)
    polls: int = 2
    calls: list[str] = field(default_factory=list)
    scanned: list[str] = field(default_factory=list)  # the URLs it was asked to spider or scan
    _progress: dict[str, int] = field(default_factory=dict)

    def answer(self, path: str, query: dict[str, str], key: str) -> tuple[int, dict[str, Any]]:
        self.calls.append(path)
        if key != KEY:
            return 400, {"code": "bad_api_key", "message": "Missing or invalid API key"}
        if path in ("/JSON/spider/action/scan/", "/JSON/ascan/action/scan/"):
            self.scanned.append(query.get("url", ""))
            self._progress[path.split("/")[2]] = 0
            return 200, {"scan": "1"}
        if path in ("/JSON/spider/view/status/", "/JSON/ascan/view/status/"):
            component = path.split("/")[2]
            self._progress[component] = min(100, self._progress.get(component, 0) + -(-100 // self.polls))
            return 200, {"status": str(self._progress[component])}
        if path == "/JSON/pscan/view/recordsToScan/":
            return 200, {"recordsToScan": "0"}
        if path == "/JSON/core/view/alerts/":
            start, count = int(query.get("start", 0)), int(query.get("count", 100))
            base = query.get("baseurl", "")
            matching = [a for a in self.alerts if a["url"].startswith(base)]
            return 200, {"alerts": matching[start : start + count]}
        return 400, {"code": "bad_view", "message": f"no such API call {path}"}


@contextmanager
def serving_zap(fake: FakeZap) -> Iterator[str]:
    """The fake as an HTTP proxy on 127.0.0.1 (what ZAPv2's ``proxies`` point at); yields its address."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            target = urlsplit(self.path)
            if target.hostname != "zap":
                self.send_response(403)  # a fake ZAP proxies nothing else
                self.end_headers()
                return
            query = {k: v[0] for k, v in parse_qs(target.query).items()}
            status, body = fake.answer(target.path, query, self.headers.get("X-ZAP-API-Key", ""))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def alert(name: str, risk: str, cwe: int, url: str, param: str = "", tag: str | None = None) -> dict[str, Any]:
    """An alert as ZAP's core/view/alerts returns it (every value a string, tags an object)."""
    return {
        "id": "1", "alertRef": "40012", "pluginId": "40012", "sourceid": "1", "name": name, "alert": name,
        "risk": risk, "confidence": "Medium", "url": url, "method": "GET", "param": param,
        "attack": "<script>alert(1);</script>", "evidence": "<script>alert(1);</script>", "inputVector": "",
        "description": f"{name}.", "solution": "", "reference": "", "other": "", "cweid": str(cwe), "wascid": "8",
        "messageId": "1", "sourceMessageId": 1, "tags": {tag: "https://owasp.org"} if tag else {},
    }  # fmt: skip
