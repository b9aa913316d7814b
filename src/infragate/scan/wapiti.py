"""wapiti, the active scanner: installed once into a virtual environment of its own under the tools directory
(its exact-pinned dependencies cannot share infragate's), run as a subprocess through the scope proxy with
only the modules of the scan profile, and its JSON report read into ScanFindings.

Modules that call out to wapiti's own servers on the internet (ssrf, xxe and log4shell use external
endpoints, wapp and nikto download databases, takeover queries DNS) are never run: their traffic could only
leave the declared scope, and the proxy would refuse it anyway.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypedDict

from infragate.errors import UsageError
from infragate.scan.findings import ScanFinding

VERSION = "3.2.3"
ENGINE = "wapiti"
PROFILES: dict[str, tuple[str, ...]] = {
    "quick": ("xss", "permanentxss", "sql", "exec", "file", "redirect"),
    "standard": ("xss", "permanentxss", "sql", "exec", "file", "redirect", "crlf", "upload", "methods"),
    "full": (
        "xss",
        "permanentxss",
        "sql",
        "timesql",
        "exec",
        "file",
        "redirect",
        "crlf",
        "upload",
        "methods",
        "ldap",
        "shellshock",
        "spring4shell",
    ),
}
LEVELS = {4: "critical", 3: "high", 2: "medium", 1: "low", 0: "info"}
# What wapiti's report names a category, when its classification lists no CWE reference.
CATEGORY_CWE = {
    "Reflected Cross Site Scripting": 79,
    "Stored Cross Site Scripting": 79,
    "SQL Injection": 89,
    "Blind SQL Injection": 89,
    "Command execution": 78,
    "Path Traversal": 22,
    "Open Redirect": 601,
    "CRLF Injection": 93,
    "Unrestricted File Upload": 434,
    "LDAP Injection": 90,
    "Content Security Policy Configuration": 693,
    "Clickjacking Protection": 1021,
    "MIME Type Confusion": 693,
    "HTTP Strict Transport Security (HSTS)": 523,
    "HttpOnly Flag cookie": 1004,
    "Secure Flag cookie": 614,
    "Backup file": 530,
}
COOKIE_NAME = re.compile(r"in the cookie\s*:\s*(\S+)")


class ScannerError(UsageError):
    """wapiti could not be installed or run (the scan reports it; it never counts as a clean scan)."""


def environment_dir(tools: Path) -> Path:
    return tools / f"wapiti-{VERSION}"


def executable(tools: Path) -> Path | None:
    """The installed wapiti, or None."""
    program = environment_dir(tools) / "bin" / "wapiti"
    return program if program.is_file() and (environment_dir(tools) / ".complete").is_file() else None


def install(tools: Path, progress: Callable[[str], None]) -> Path:
    """Install wapiti once, as pipx would: a venv of its own and the pinned version, marked complete only at
    the end (an interrupted install is removed and started again, never half used)."""
    found = executable(tools)
    if found is not None:
        return found
    target = environment_dir(tools)
    shutil.rmtree(target, ignore_errors=True)
    tools.mkdir(parents=True, exist_ok=True)
    progress(f"installing wapiti {VERSION} into {target} (once; about a minute)")
    steps = (
        ("created its environment", [sys.executable, "-m", "venv", str(target)]),
        (
            f"installed wapiti {VERSION}",
            [str(target / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q",
             f"wapiti3=={VERSION}"],
        ),
    )  # fmt: skip
    for done_message, step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False, timeout=900)
        if done.returncode != 0:
            shutil.rmtree(target, ignore_errors=True)
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise ScannerError(
                f"wapiti {VERSION} could not be installed: {' '.join(tail)[:400]}",
                hint="Check that PyPI is reachable (or a pip index is configured), then run `infragate scan install`.",
            )
        progress(done_message)
    (target / ".complete").write_text(VERSION)
    return target / "bin" / "wapiti"


def command(
    program: Path,
    url: str,
    proxy: str,
    modules: tuple[str, ...] | None,
    folder: Path,
    seconds: float,
    starts: tuple[str, ...] = (),
) -> list[str]:
    extra = [argument for start in starts for argument in ("-s", start)]  # pages no link leads to (an API)
    if modules is not None:  # None: wapiti's own default modules (bench/scan.py compares with them)
        extra += ["-m", ",".join(modules)]
    return [
        str(program),
        "-u", url,
        *extra,
        "--scope", "folder",
        "-p", proxy,
        "--flush-session",
        "--store-session", str(folder / "session"),
        "--store-config", str(folder / "config"),
        "-f", "json",
        "-o", str(folder / "wapiti.json"),
        "--no-bugreport",
        "-v", "0",
        "--max-scan-time", str(int(max(seconds, 10))),
        "--tasks", "4",
        "--timeout", "10",
    ]  # fmt: skip


def run(
    program: Path,
    url: str,
    proxy: str,
    modules: tuple[str, ...] | None,
    folder: Path,
    seconds: float,
    starts: tuple[str, ...] = (),
) -> list[ScanFinding]:
    """Scan ``url`` (through ``proxy``) and read the report; a ScannerError when wapiti fails."""
    folder.mkdir(parents=True, exist_ok=True)
    environment = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    environment["HOME"] = str(folder)  # wapiti keeps state under ~/.wapiti: never the user's
    try:
        done = subprocess.run(
            command(program, url, proxy, modules, folder, seconds, starts),
            capture_output=True,
            text=True,
            check=False,
            timeout=seconds + 120,
            env=environment,
        )
    except subprocess.TimeoutExpired:
        raise ScannerError(f"wapiti did not finish within {seconds + 120:.0f} s on {url}") from None
    report = folder / "wapiti.json"
    if done.returncode != 0 or not report.is_file():
        tail = " ".join((done.stderr or done.stdout).strip().splitlines()[-3:])[:400]
        raise ScannerError(f"wapiti failed on {url} (exit {done.returncode}): {tail or 'no output'}")
    return parse(json.loads(report.read_text()), url)


class WapitiFinding(TypedDict, total=False):
    """One finding of wapiti's JSON report."""

    module: str
    level: int
    method: str
    path: str
    parameter: str
    info: str
    http_request: str


class Classification(TypedDict, total=False):
    ref: dict[str, str]  # reference name -> URL, e.g. "CWE-79: …"


class WapitiReport(TypedDict, total=False):
    classifications: dict[str, Classification]
    vulnerabilities: dict[str, list[WapitiFinding]]


def parse(report: WapitiReport, base: str) -> list[ScanFinding]:
    """wapiti's JSON report (``vulnerabilities`` by category, each with method, path, parameter, level)."""
    classifications = report.get("classifications", {})
    origin = re.match(r"^(https?://[^/]+)", base)
    found = []
    for category, items in report.get("vulnerabilities", {}).items():
        cwe = _cwe(classifications.get(category, {})) or CATEGORY_CWE.get(category)
        for item in items:
            path = str(item.get("path", "/"))
            found.append(
                ScanFinding(
                    ENGINE,
                    str(item.get("module", category)),
                    category,
                    LEVELS.get(int(item.get("level", 1)), "low"),
                    "high",
                    cwe,
                    (origin.group(1) if origin else base.rstrip("/")) + path,
                    parameter=str(item.get("parameter") or _cookie(str(item.get("info", "")))),
                    method=str(item.get("method", "GET")),
                    # the attack's request line and what wapiti saw (the rest of its request is boilerplate)
                    evidence="\n".join(
                        part
                        for part in (str(item.get("http_request") or "").split("\n", 1)[0], str(item.get("info") or ""))
                        if part
                    ),
                    description=str(item.get("info", "")),
                )
            )
    return found


def _cookie(info: str) -> str:
    """wapiti names the cookie of a cookie-flag finding only in its text: it is the finding's parameter."""
    match = COOKIE_NAME.search(info)
    return match.group(1) if match else ""


def _cwe(classification: Classification) -> int | None:
    for reference in classification.get("ref", {}):
        match = re.match(r"CWE-(\d+)", str(reference))
        if match:
            return int(match.group(1))
    return None
