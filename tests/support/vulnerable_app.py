"""A deliberately vulnerable web application with ground truth, for the scan tests and bench/scan.py.

It has VULNERABILITIES (one per OWASP-relevant flaw, each with the path, parameter and CWE a scanner must
report) and as many DECOYS: safe look-alikes a sloppy scanner flags (escaped echoes, parameterised queries,
soft 404 pages that answer 200 for /.env, a gallery titled "Index of", a public CORS API without credentials,
a generic error page). Nothing here runs a shell: the command injection answers as `id` would, and the path
traversal reads inside a fake root folder of its own. It only ever listens on 127.0.0.1.
"""

from __future__ import annotations

import html
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route


@dataclass(frozen=True)
class Truth:
    path: str  # the path the finding is on
    parameter: str  # "" for a finding on the page itself
    cwe: int
    what: str


VULNERABILITIES = (
    Truth("/search", "q", 79, "reflected XSS"),
    Truth("/guestbook", "comment", 79, "stored XSS"),
    Truth("/product", "id", 89, "SQL injection"),
    Truth("/ping", "host", 78, "command injection"),
    Truth("/download", "file", 22, "path traversal"),
    Truth("/go", "next", 601, "open redirect"),
    Truth("/.git/HEAD", "", 538, "exposed git repository"),
    Truth("/.env", "", 538, "exposed environment file"),
    Truth("/index.php.bak", "", 530, "backup file"),
    Truth("/uploads/", "", 548, "directory listing"),
    Truth("/api/account", "", 942, "CORS: any origin, with credentials"),
    Truth("/login", "sessionid", 1004, "session cookie without HttpOnly"),
    Truth("/login", "sessionid", 614, "session cookie without Secure"),
    Truth("/debug", "", 209, "stack trace in an error page"),
    Truth("/shop", "", 319, "mixed content: a script over http"),
    Truth("/", "", 693, "no Content-Security-Policy"),
    Truth("/", "", 200, "server version banner"),
)

DECOYS = (
    "/search-safe?q= (escaped)",
    "/guestbook-safe (escaped)",
    "/product-safe?id= (parameterised)",
    "/ping-safe?host= (validated)",
    "/download-safe?file= (base name only)",
    "/go-safe?next= (local paths only)",
    "/.svn/entries (soft 404: 200 with the not-found page)",
    "/backup.zip (soft 404)",
    "/gallery/ (a page titled 'Index of our gallery')",
    "/api/public (CORS: any origin, no credentials)",
    "/prefs (a theme cookie, Secure, readable by script on purpose)",
    "/error-safe (a generic error page)",
    "/about (mentions http:// links, loads nothing over http)",
    "/docs/git (text about .git/HEAD and 'ref: refs/heads/main')",
    "/status (JSON with the word 'Exception' in a field name)",
)

SERVER_BANNER = "Apache/2.2.8 (Ubuntu) PHP/5.2.4"
SAFE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'",
    "Strict-Transport-Security": "max-age=31536000",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def _page(title: str, body: str, *, safe: bool = True, status: int = 200) -> HTMLResponse:
    headers = dict(SAFE_HEADERS) if safe else {}
    return HTMLResponse(
        f"<!doctype html><html><head><title>{title}</title></head><body>{body}</body></html>", status, headers
    )


def build(root: Path) -> Starlette:
    """The app, with its database and fake file system under ``root``."""
    database = sqlite3.connect(":memory:", check_same_thread=False)
    database.execute("create table products (id integer, name text)")
    database.executemany("insert into products values (?, ?)", [(1, "lamp"), (2, "chair")])
    files = root / "files"
    (root / "etc").mkdir(parents=True, exist_ok=True)
    files.mkdir(parents=True, exist_ok=True)
    (root / "etc" / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    )
    (files / "manual.txt").write_text("The manual.\n")
    comments: list[str] = []
    safe_comments: list[str] = []

    async def index(request: Request) -> Response:
        links = [
            "/search?q=lamp",
            "/search-safe?q=lamp",
            "/product?id=1",
            "/product-safe?id=1",
            "/ping?host=example.org",
            "/ping-safe?host=example.org",
            "/download?file=manual.txt",
            "/download-safe?file=manual.txt",
            "/go?next=/shop",
            "/go-safe?next=/shop",
            "/guestbook",
            "/guestbook-safe",
            "/uploads/",
            "/gallery/",
            "/api/account",
            "/api/public",
            "/login",
            "/prefs",
            "/debug?item=1",
            "/error-safe?item=1",
            "/shop",
            "/about",
            "/docs/git",
            "/status",
        ]
        body = "".join(f'<a href="{link}">{html.escape(link)}</a><br>' for link in links)
        response = _page("Vulnerable shop", body, safe=False)
        response.headers["Server"] = SERVER_BANNER
        return response

    async def guestbook(request: Request) -> Response:
        return await guestbook_page(request, comments, False, "/guestbook")

    async def guestbook_safe(request: Request) -> Response:
        return await guestbook_page(request, safe_comments, True, "/guestbook-safe")

    async def search(request: Request) -> Response:
        return _page("Search", f"<p>Results for {request.query_params.get('q', '')}</p>")

    async def search_safe(request: Request) -> Response:
        return _page("Search", f"<p>Results for {html.escape(request.query_params.get('q', ''))}</p>")

    async def guestbook_page(request: Request, store: list[str], escape: bool, action: str) -> Response:
        if request.method == "POST":
            form = await request.form()
            store.append(str(form.get("comment", ""))[:500])
        shown = "".join(f"<li>{html.escape(c) if escape else c}</li>" for c in store[-20:])
        form_html = f'<form method="post" action="{action}"><input name="comment"><button>Post</button></form>'
        return _page("Guestbook", f"<ul>{shown}</ul>{form_html}")

    async def product(request: Request) -> Response:
        wanted = request.query_params.get("id", "1")
        try:
            rows = database.execute(f"select name from products where id = {wanted}").fetchall()
        except sqlite3.Error as error:
            return _page("Error", f"<p>SQLite error: {html.escape(str(error))} in query</p>", status=500)
        return _page("Product", "".join(f"<p>{html.escape(r[0])}</p>" for r in rows))

    async def product_safe(request: Request) -> Response:
        wanted = request.query_params.get("id", "1")
        if not wanted.isdigit():
            return _page("Product", "<p>No such product.</p>", status=404)
        rows = database.execute("select name from products where id = ?", (int(wanted),)).fetchall()
        return _page("Product", "".join(f"<p>{html.escape(r[0])}</p>" for r in rows))

    async def ping(request: Request) -> Response:
        host = request.query_params.get("host", "")
        output = f"PING {html.escape(host)}: 1 packet transmitted, 1 received"
        # As a shell would run `ping -c1 HOST`: a command after ; | && or in $( ) or backticks "runs".
        for separator in (";", "|", "&&", "$(", "`", "\n"):
            if separator in host:
                injected = host.split(separator, 1)[1]
                if "env" in injected or injected.strip(" ;|&") in ("set", "&set&"):
                    output += "\nPATH=/usr/local/bin:/usr/bin:/bin\nPWD=/srv/shop"
                if "id" in injected:
                    output += "\nuid=33(www-data) gid=33(www-data) groups=33(www-data)"
                if "passwd" in injected:
                    output += "\n" + (root / "etc" / "passwd").read_text()
                if "sleep" in injected:
                    import asyncio

                    await asyncio.sleep(min(5.0, float("".join(c for c in injected if c.isdigit())[:1] or 0)))
        return _page("Ping", f"<pre>{output}</pre>")

    async def ping_safe(request: Request) -> Response:
        host = request.query_params.get("host", "")
        if not all(c.isalnum() or c in ".-" for c in host):
            return _page("Ping", "<p>Not a host name.</p>", status=400)
        return _page("Ping", f"<pre>PING {html.escape(host)}: 1 packet transmitted, 1 received</pre>")

    async def download(request: Request) -> Response:
        asked = request.query_params.get("file", "")
        try:
            target = (files / asked).resolve()
        except (OSError, ValueError):
            return _page("Download", "<p>No such file.</p>", status=404)
        if not str(target).startswith(str(root.resolve())):  # the flaw: anything under the fake root, not files/
            target = root / "etc" / "passwd" if "passwd" in asked else files / "missing"
        try:
            return PlainTextResponse(target.read_text(), headers=SAFE_HEADERS)
        except (OSError, ValueError):  # ValueError: a NUL byte in the name
            return _page("Download", "<p>No such file.</p>", status=404)

    async def download_safe(request: Request) -> Response:
        name = Path(request.query_params.get("file", "")).name
        try:
            return PlainTextResponse((files / name).read_text(), headers=SAFE_HEADERS)
        except (OSError, ValueError):  # ValueError: a NUL byte in the name
            return _page("Download", "<p>No such file.</p>", status=404)

    async def go(request: Request) -> Response:
        return RedirectResponse(request.query_params.get("next", "/"), 302, headers=SAFE_HEADERS)

    async def go_safe(request: Request) -> Response:
        wanted = request.query_params.get("next", "/")
        return RedirectResponse(
            wanted if wanted.startswith("/") and not wanted.startswith("//") else "/", 302, headers=SAFE_HEADERS
        )

    async def git_head(request: Request) -> Response:
        return PlainTextResponse("ref: refs/heads/main\n")

    async def dotenv(request: Request) -> Response:
        return PlainTextResponse("DATABASE_URL=postgres://shop:hunter2@db/shop\nSECRET_KEY=3f9a8c7d\n")

    async def backup(request: Request) -> Response:
        return PlainTextResponse("<?php $db_password = 'hunter2'; mysql_connect('db', 'shop', $db_password); ?>\n")

    async def uploads(request: Request) -> Response:
        return HTMLResponse(
            "<html><head><title>Index of /uploads</title></head><body><h1>Index of /uploads</h1><pre>"
            '<a href="../">Parent Directory</a>\n<a href="invoice-1.pdf">invoice-1.pdf</a>  2024-01-02 10:00  12K\n'
            "</pre></body></html>",
            headers=SAFE_HEADERS,
        )

    async def gallery(request: Request) -> Response:
        return _page("Index of our gallery", "<h1>Index of our gallery</h1><p>Photos of the shop.</p>")

    async def account(request: Request) -> Response:
        origin = request.headers.get("origin", "")
        headers = {
            **SAFE_HEADERS,
            "Access-Control-Allow-Origin": origin or "*",
            "Access-Control-Allow-Credentials": "true",
        }
        return Response('{"user": "ada", "balance": 12}', headers=headers, media_type="application/json")

    async def public(request: Request) -> Response:
        headers = {**SAFE_HEADERS, "Access-Control-Allow-Origin": "*"}
        return Response('{"opening_hours": "9-17"}', headers=headers, media_type="application/json")

    async def login(request: Request) -> Response:
        response = _page(
            "Login", '<form method="post"><input name="user"><input type="password" name="password"></form>'
        )
        response.set_cookie("sessionid", "s3ss10n", secure=False, httponly=False)
        return response

    async def prefs(request: Request) -> Response:
        response = _page("Preferences", "<p>Theme: dark</p>")
        response.set_cookie("theme", "dark", secure=True, httponly=False, samesite="lax")
        return response

    async def debug(request: Request) -> Response:
        trace = (
            'Traceback (most recent call last):\n  File "/srv/shop/app.py", line 88, in show\n'
            "    item = ITEMS[int(request.args['item'])]\nIndexError: list index out of range"
        )
        return _page("Internal Server Error", f"<h1>Internal Server Error</h1><pre>{trace}</pre>", status=500)

    async def error_safe(request: Request) -> Response:
        return _page("Error", "<h1>Something went wrong</h1><p>Reference 7f3a.</p>", status=500)

    async def shop(request: Request) -> Response:
        return _page("Shop", '<script src="http://cdn.shop-assets.example/cart.js"></script><p>Cart</p>')

    async def about(request: Request) -> Response:
        return _page("About", '<p>Our old site was http://old.example; see <a href="http://old.example">it</a>.</p>')

    async def docs_git(request: Request) -> Response:
        return _page("Git", "<p>The file .git/HEAD holds a line like <code>ref: refs/heads/main</code>.</p>")

    async def status(request: Request) -> Response:
        return Response('{"lastException": null, "ok": true}', headers=SAFE_HEADERS, media_type="application/json")

    async def not_found(request: Request, exc: Exception) -> Response:
        return _page("Not found", "<h1>Sorry, that page is not here</h1>", status=200)  # a soft 404, on purpose

    routes = [
        Route("/", index),
        Route("/search", search),
        Route("/search-safe", search_safe),
        Route("/guestbook", guestbook, methods=["GET", "POST"]),
        Route("/guestbook-safe", guestbook_safe, methods=["GET", "POST"]),
        Route("/product", product),
        Route("/product-safe", product_safe),
        Route("/ping", ping),
        Route("/ping-safe", ping_safe),
        Route("/download", download),
        Route("/download-safe", download_safe),
        Route("/go", go),
        Route("/go-safe", go_safe),
        Route("/.git/HEAD", git_head),
        Route("/.env", dotenv),
        Route("/index.php.bak", backup),
        Route("/uploads/", uploads),
        Route("/gallery/", gallery),
        Route("/api/account", account),
        Route("/api/public", public),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/prefs", prefs),
        Route("/debug", debug),
        Route("/error-safe", error_safe),
        Route("/shop", shop),
        Route("/about", about),
        Route("/docs/git", docs_git),
        Route("/status", status),
    ]
    return Starlette(routes=routes, exception_handlers={404: not_found})


@contextmanager
def vulnerable_app(
    port: int | None = None, *, certfile: Path | None = None, keyfile: Path | None = None
) -> Iterator[str]:
    """Serve the app on 127.0.0.1 (HTTPS when given a certificate) until the block ends; yields its base URL."""
    import threading
    import time

    import uvicorn

    from tests.support.servers import free_port

    port = port or free_port()
    with tempfile.TemporaryDirectory() as folder:
        config = uvicorn.Config(
            build(Path(folder)),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            ssl_certfile=str(certfile) if certfile else None,
            ssl_keyfile=str(keyfile) if keyfile else None,
            server_header=False,
            date_header=False,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started, "the vulnerable app did not start"
        try:
            yield f"{'https' if certfile else 'http'}://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=10)
