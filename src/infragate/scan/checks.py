"""infragate's own passive and exposure checks: what a crawler-driven scanner tends to miss. Each check needs
content evidence, never a status code alone, and the endpoint's answer to a path that cannot exist (its soft
404) is learnt first, so a site that answers 200 to everything flags nothing."""

from __future__ import annotations

import re
import secrets
from http.cookies import SimpleCookie
from urllib.parse import urljoin, urlsplit

import httpx

from infragate.errors import UsageError
from infragate.infratest.http_checks import SECURITY_HEADER_CHECKS, header_checks
from infragate.infratest.results import Verdict
from infragate.scan.crawl import Budget, Crawl, LimitReachedError
from infragate.scan.findings import ScanFinding

ENGINE = "builtin"
SESSION_COOKIE = re.compile(r"(?i)(sess|sid$|^sid|token|auth|jwt|login|remember)")
STACK_TRACES = (
    re.compile(r"Traceback \(most recent call last\)"),
    re.compile(r"Exception in thread \"[^\"]+\""),
    re.compile(r"\n\s+at [a-z][\w$]*(\.[\w$]+)+\([\w$]+\.java:\d+\)"),
    re.compile(r"<b>(Fatal|Parse) error</b>:.+ on line <b>\d+</b>"),
    re.compile(r"(?i)\b(SQLite|MySQL|PostgreSQL|ORA-\d{5}|SQLSTATE)\b.{0,40}\berror\b"),
)
DIRECTORY_LISTING = re.compile(r"(?is)<title>\s*Index of /.*?(Parent Directory|href=\"\.\./\")")

# (path, what, CWE, severity, the content that proves it)
EXPOSURES: tuple[tuple[str, str, int, str, re.Pattern[str]], ...] = (
    (".git/HEAD", "an exposed git repository", 538, "high", re.compile(r"^(ref: refs/|[0-9a-f]{40}\s*$)")),
    (".git/config", "an exposed git repository", 538, "high", re.compile(r"^\s*\[core\]", re.M)),
    (".svn/entries", "an exposed Subversion working copy", 538, "high", re.compile(r"^(\d+\s*$|dir\s*$)", re.M)),
    (".hg/hgrc", "an exposed Mercurial repository", 538, "high", re.compile(r"^\s*\[paths\]", re.M)),
    (".env", "an exposed environment file", 538, "critical", re.compile(r"^[A-Z][A-Z0-9_]*=\S*", re.M)),
    (".DS_Store", "an exposed .DS_Store file", 538, "low", re.compile(r"^\x00\x00\x00\x01Bud1")),
)
BACKUP_NAMES = (
    "backup.zip",
    "backup.tar.gz",
    "backup.sql",
    "db.sql",
    "dump.sql",
    "site.tar.gz",
    "index.php.bak",
    "index.php~",
    "index.html.bak",
    "config.php.bak",
    "wp-config.php.bak",
    "web.config.bak",
)
BACKUP_SUFFIXES = (".bak", ".old", ".orig", "~", ".swp", ".save")
SERVER_SIDE = re.compile(
    r"(<\?php|<%|^#!|\bimport\b|\bdef\b|\bfunction\b|\bCREATE TABLE\b|\bINSERT INTO\b|PK\x03\x04|\x1f\x8b)", re.M
)


def _finding(
    rule: str,
    title: str,
    severity: str,
    cwe: int,
    url: str,
    evidence: str = "",
    parameter: str = "",
    confidence: str = "high",
) -> ScanFinding:
    return ScanFinding(ENGINE, rule, title, severity, confidence, cwe, url, parameter=parameter, evidence=evidence)


def passive(crawl: Crawl) -> list[ScanFinding]:
    """What the crawled responses show on their own: headers, cookies, banners, listings, errors, mixed content."""
    found: list[ScanFinding] = []
    for page in crawl.pages:
        response, url = page.response, page.url
        html = "html" in response.headers.get("content-type", "")
        https = url.startswith("https://")
        judged = {r.check: r for r in header_checks(url, response, 0.0, https=https)}
        weak = [judged[name].detail for name in SECURITY_HEADER_CHECKS if judged[name].verdict is Verdict.FAILED]
        if html and response.status_code < 400 and weak:
            found.append(
                _finding("security-headers", "security headers missing or weak", "low", 693, url, "; ".join(weak))
            )
        if judged["server-banner"].verdict is Verdict.FAILED:
            found.append(
                _finding(
                    "version-banner", "the server names its software", "low", 200, url, judged["server-banner"].detail
                )
            )
        for header in response.headers.get_list("set-cookie"):
            found += _cookie_findings(url, header, https)
        body = response.text[:500_000] if html or response.status_code >= 500 else ""
        if DIRECTORY_LISTING.search(body):
            found.append(_finding("directory-listing", "a directory listing", "medium", 548, url, body[:200]))
        for pattern in STACK_TRACES:
            match = pattern.search(body)
            if match:
                excerpt = body[max(0, match.start() - 40) : match.end() + 120]
                found.append(_finding("verbose-error", "an error page shows internals", "medium", 209, url, excerpt))
                break
        if https:
            insecure = [s for s in page.subresources if s.startswith("http://")]
            if insecure:
                found.append(
                    _finding(
                        "mixed-content",
                        "an HTTPS page loads content over HTTP",
                        "medium",
                        319,
                        url,
                        ", ".join(insecure[:5]),
                    )
                )
    return found


def _cookie_findings(url: str, header: str, https: bool) -> list[ScanFinding]:
    cookie = SimpleCookie()
    try:
        cookie.load(header)
    except Exception:
        return []
    found = []
    flags = header.lower()
    for name in cookie:
        if SESSION_COOKIE.search(name) and "httponly" not in flags:
            found.append(
                _finding(
                    "cookie-httponly",
                    f"the session cookie {name} is readable by scripts",
                    "medium",
                    1004,
                    url,
                    header,
                    parameter=name,
                )
            )
        if https and "secure" not in [part.strip() for part in flags.split(";")]:
            found.append(
                _finding(
                    "cookie-secure",
                    f"the cookie {name} is also sent over plain HTTP",
                    "medium",
                    614,
                    url,
                    header,
                    parameter=name,
                )
            )
    return found


async def exposures(budget: Budget, base: str, crawl: Crawl) -> list[ScanFinding]:
    """Version-control directories, environment and backup files, and CORS, probed with content evidence."""
    root = base if base.endswith("/") else base + "/"
    soft = await _soft_404(budget, root)
    found: list[ScanFinding] = []
    for path, what, cwe, severity, proof in EXPOSURES:
        response = await _get(budget, urljoin(root, path))
        if (
            response is not None
            and response.status_code == 200
            and proof.search(response.text[:20_000])
            and not _same(response, soft)
        ):
            found.append(_finding("exposed-file", what, severity, cwe, str(response.url), response.text[:200]))
    candidates = [urljoin(root, name) for name in BACKUP_NAMES]
    for page in crawl.pages:
        path = urlsplit(page.url).path
        if path and not path.endswith("/"):
            candidates += [urljoin(root, path.lstrip("/") + suffix) for suffix in BACKUP_SUFFIXES]
    for candidate in candidates:
        response = await _get(budget, candidate)
        if (
            response is not None
            and response.status_code == 200
            and not _same(response, soft)
            and SERVER_SIDE.search(response.text[:20_000])
        ):
            found.append(
                _finding(
                    "backup-file",
                    "a backup or source file is downloadable",
                    "high",
                    530,
                    candidate,
                    response.text[:200],
                )
            )
    for page in crawl.pages:
        found += await _cors(budget, page.url)
    return found


async def _cors(budget: Budget, url: str) -> list[ScanFinding]:
    found = []
    for origin in (f"https://{secrets.token_hex(4)}.infragate-cors-check.invalid", "null"):
        response = await _get(budget, url, headers={"Origin": origin})
        if response is None:
            continue
        allowed = response.headers.get("access-control-allow-origin", "")
        credentials = response.headers.get("access-control-allow-credentials", "").lower() == "true"
        if allowed == origin and credentials:
            shown = "a reflected origin" if origin != "null" else "the null origin"
            found.append(
                _finding(
                    "cors",
                    f"CORS allows {shown} with credentials",
                    "high",
                    942,
                    url,
                    f"Origin: {origin} → Access-Control-Allow-Origin: {allowed}, credentials",
                )
            )
            break
    return found


async def _soft_404(budget: Budget, root: str) -> httpx.Response | None:
    return await _get(budget, urljoin(root, f"infragate-{secrets.token_hex(8)}/not-here.txt"))


def _same(response: httpx.Response, soft: httpx.Response | None) -> bool:
    """The site's not-found page (answered with 200): equal bodies, or the same page with the path echoed."""
    if soft is None or soft.status_code != 200:
        return False
    a, b = response.text[:20_000], soft.text[:20_000]
    return a == b or (abs(len(a) - len(b)) < 200 and _words(a) == _words(b))


def _words(text: str) -> set[str]:
    return {word for word in re.findall(r"[A-Za-z]{4,}", text) if not word.startswith("infragate")}


async def _get(budget: Budget, url: str, headers: dict[str, str] | None = None) -> httpx.Response | None:
    try:
        return await budget.request("GET", url, headers=headers or {})
    except LimitReachedError:
        raise
    except (httpx.HTTPError, UsageError):
        return None
