"""Real HTTPS servers on 127.0.0.1 for the infrastructure tests: the webshop example's own application (good,
or broken on purpose), served with certificates from a local CA, on free ports."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from infragate.workload.certificates import issue, new_authority
from tests.conftest import WEBSHOP
from tests.support.servers import free_port

EXAMPLE = WEBSHOP.parent
HOST = "staging.webshop.example.com"


@dataclass(frozen=True)
class Served:
    https_port: int
    http_port: int
    ca_file: Path

    @property
    def pins(self) -> dict[str, str]:
        return {"resolve": f"127.0.0.1:{self.https_port}", "resolve_http": f"127.0.0.1:{self.http_port}"}


def certificates(folder: Path, *, expired: bool = False) -> tuple[Path, Path, Path]:
    """A local CA and a certificate for HOST (expired when asked): (ca, chain, key) files."""
    folder.mkdir(parents=True, exist_ok=True)
    authority = new_authority()
    now = datetime.now(UTC)
    window = {"not_before": now - timedelta(days=30), "not_after": now - timedelta(days=1)} if expired else {}
    leaf = issue(authority, [HOST], **window)
    (folder / "ca.pem").write_bytes(authority.cert_pem)
    (folder / "cert.pem").write_bytes(leaf.chain_pem)
    (folder / "key.pem").write_bytes(leaf.key_pem)
    return folder / "ca.pem", folder / "cert.pem", folder / "key.pem"


def _wait_for(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the test server exited ({process.returncode})")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


@contextmanager
def example_app(folder: Path, *broken: str, expired: bool = False, extra: tuple[str, ...] = ()) -> Iterator[Served]:
    """The example's application (app/serve.py), broken in the given ways (headers, tls, status, banner)."""
    ca, cert, key = certificates(folder, expired=expired)
    https_port, http_port = free_port(), free_port()
    command = [
        sys.executable,
        str(EXAMPLE / "app" / "serve.py"),
        "--https-port",
        str(https_port),
        "--http-port",
        str(http_port),
        "--certfile",
        str(cert),
        "--keyfile",
        str(key),
        *(f"--broken-{fault}" for fault in broken),
        *extra,
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(https_port, process)
        yield Served(https_port, http_port, ca)
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def example_app_over_http2(folder: Path) -> Iterator[Served]:
    """The same application served by Hypercorn, which offers HTTP/2 (uvicorn speaks HTTP/1.1 only)."""
    ca, cert, key = certificates(folder)
    https_port = free_port()
    code = (
        "import asyncio, sys; sys.path.insert(0, sys.argv[1]); import serve;"
        "from hypercorn.config import Config; from hypercorn.asyncio import serve as run;"
        "c = Config(); c.bind = [f'127.0.0.1:{sys.argv[2]}']; c.certfile, c.keyfile = sys.argv[3], sys.argv[4];"
        "c.alpn_protocols = ['h2', 'http/1.1']; asyncio.run(run(serve.shop(), c))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, str(EXAMPLE / "app"), str(https_port), str(cert), str(key)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(https_port, process)
        yield Served(https_port, free_port(), ca)
    finally:
        process.terminate()
        process.wait(timeout=10)


def example_design(folder: Path, served: Served | None = None, **staging: object) -> Path:
    """A copy of the example (design and app) in ``folder``: its staging endpoint pinned to ``served`` (with its
    CA as the bundle), or to free ports for a workload; ``staging`` entries replace the environment's."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(EXAMPLE / "app", folder / "app", dirs_exist_ok=True)
    data = _production_unpinned(yaml.safe_load(WEBSHOP.read_text()))  # its fixed ports are the walkthrough's
    env = data["environments"]["staging"]
    endpoint = env["endpoints"][0]
    if served is not None:
        endpoint |= served.pins
        shutil.copy(served.ca_file, folder / "ca.pem")
        env["ca_bundle"] = "ca.pem"
    else:
        endpoint |= {"resolve": f"127.0.0.1:{free_port()}", "resolve_http": f"127.0.0.1:{free_port()}"}
    env |= staging
    path = folder / "infragate.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _production_unpinned(data: dict[str, Any]) -> dict[str, Any]:
    """The example's data with production's endpoints not pinned to a local address (as a real account's names
    would be), and without what only pinned endpoints use."""
    production = data["environments"]["production"]
    production["endpoints"] = [endpoint["url"] for endpoint in production["endpoints"]]
    for pinned_only in ("ca_bundle", "workload", "tests", "stress"):
        production.pop(pinned_only, None)
    return data


def unpinned_production(folder: Path) -> Path:
    """The example with production on embedded AWS and nothing pinned: what must refuse to send traffic, or
    judge nothing, there."""
    data = _production_unpinned(yaml.safe_load(WEBSHOP.read_text()))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app").symlink_to(EXAMPLE / "app")
    path = folder / "infragate.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
