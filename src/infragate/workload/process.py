"""Starting, watching and stopping an environment's workload: a daemon process on 127.0.0.1 (it outlives the
command that started it), with its certificate files, pid and log under
``$INFRAGATE_HOME/workloads/<project>/<environment>/``."""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import json
import os
import shlex
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from infragate.design import Design
from infragate.errors import UsageError
from infragate.model.testing import split_pin
from infragate.processes import alive
from infragate.workload.certificates import issue, new_authority

START_TIMEOUT_S = 30.0
WORKLOAD_CA = "workload"  # ca_bundle: workload -> the environment's local CA


class WorkloadError(UsageError):
    code = "workload"


@dataclass(frozen=True)
class WorkloadStatus:
    environment: str
    running: bool
    pid: int | None
    https: str | None  # 127.0.0.1:18443
    http: str | None
    folder: Path

    @property
    def ca_file(self) -> Path:
        return self.folder / "ca.pem"


def folder_of(home: Path, project: str, environment: str) -> Path:
    return home / "workloads" / project / environment


def ca_bundle(design: Design, environment: str, home: Path) -> Path | None:
    """The environment's extra trust: its ``ca_bundle`` file beside the design, or its workload's local CA."""
    declared = design.environment(environment).settings.ca_bundle
    if declared is None:
        return None
    if declared == WORKLOAD_CA:
        path = folder_of(home, design.project.name, environment) / "ca.pem"
        if not path.is_file():
            raise WorkloadError(
                f"{environment} trusts its workload's CA, and the workload has never been started",
                hint=f"infragate workload start --env {environment}",
            )
        return path
    path = (Path(design.path).parent / declared).resolve()
    if not path.is_file():
        raise UsageError(f"{design.path}: ca_bundle {declared} is not a file", hint="Point it at a PEM file.")
    return path


def _ports(design: Design, environment: str) -> tuple[str, str | None, list[str]]:
    settings = design.environment(environment).settings
    if settings.workload is None:
        raise WorkloadError(
            f"{environment} declares no workload", hint="Add workload: {command: …} to the environment in the design."
        )
    if not settings.aws.embedded:
        raise WorkloadError(
            f"{environment} is a real AWS account: its application is deployed there, not run by infragate",
            hint="Workloads serve embedded environments only.",
        )
    pinned = [e for e in settings.endpoints if e.resolve]
    if not pinned:
        raise WorkloadError(
            f"no endpoint of {environment} is pinned to a local address",
            hint="Give the first endpoint resolve: 127.0.0.1:PORT (and resolve_http for the redirect).",
        )
    first = pinned[0]
    for pin in (first.resolve, first.resolve_http):
        if pin is not None and not ipaddress.ip_address(split_pin(pin)[0]).is_loopback:
            raise WorkloadError(f"{first.url}: a workload listens on a loopback address, not {pin}")
    return first.resolve or "", first.resolve_http, sorted({e.host for e in settings.endpoints})


def status(design: Design, environment: str, home: Path) -> WorkloadStatus:
    folder = folder_of(home, design.project.name, environment)
    state_file = folder / "state.json"
    try:
        state = json.loads(state_file.read_text())
    except (OSError, ValueError):
        return WorkloadStatus(environment, False, None, None, None, folder)
    pid = int(state.get("pid", 0))
    running = pid > 0 and alive(pid)
    return WorkloadStatus(environment, running, pid if running else None, state.get("https"), state.get("http"), folder)


def start(design: Design, environment: str, home: Path) -> WorkloadStatus:
    """Start the workload (a no-op when it already runs): a fresh local CA and certificate, then the command,
    then wait until its HTTPS port completes a TLS handshake trusting that CA."""
    https, http, hosts = _ports(design, environment)
    workload = design.environment(environment).settings.workload
    assert workload is not None
    folder = folder_of(home, design.project.name, environment)
    with _locked(folder):
        current = status(design, environment, home)
        if current.running:
            return current
        authority = new_authority()
        certificate = issue(authority, hosts)
        _write(folder / "ca.pem", authority.cert_pem)
        _write(folder / "cert.pem", certificate.chain_pem)
        _write(folder / "key.pem", certificate.key_pem)
        address, https_port = split_pin(https)
        values = {
            "python": sys.executable,
            "design_dir": str(Path(design.path).resolve().parent),
            "host": address,
            "https_port": str(https_port),
            "http_port": str(split_pin(http)[1]) if http else "0",
            "certfile": str(folder / "cert.pem"),
            "keyfile": str(folder / "key.pem"),
        }
        try:
            argv = [token.format(**values) for token in shlex.split(workload.command)]
        except (KeyError, IndexError, ValueError) as problem:
            raise WorkloadError(
                f"{environment}: workload.command cannot be filled in ({problem})",
                hint="Use only {python} {design_dir} {host} {https_port} {http_port} {certfile} {keyfile}.",
            ) from None
        if _answers(address, https_port):
            raise WorkloadError(
                f"{address}:{https_port} is already taken by another program", hint="Stop it, or pin another port."
            )
        log = folder / "workload.log"
        with log.open("ab") as output:
            process = subprocess.Popen(
                argv,
                cwd=values["design_dir"],
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # a daemon: it outlives the command that started it
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        context = ssl.create_default_context(cafile=str(folder / "ca.pem"))
        while time.monotonic() < deadline and process.poll() is None:
            if _handshake(address, https_port, hosts[0], context):
                break
            time.sleep(0.1)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            tail = log.read_text(errors="replace")[-800:].strip()
            raise WorkloadError(
                f"the workload of {environment} did not start serving on {address}:{https_port}",
                hint=f"Its log ({log}) ends with: {tail or '(nothing)'}",
            )
        state = {"pid": process.pid, "https": https, "http": http, "started_at": time.time()}
        _write(folder / "state.json", json.dumps(state).encode())
    return status(design, environment, home)


def stop(design: Design, environment: str, home: Path) -> bool:
    """Stop the workload; False when it was not running."""
    current = status(design, environment, home)
    with _locked(current.folder):
        (current.folder / "state.json").unlink(missing_ok=True)
        if current.pid is None:
            return False
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(current.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while alive(current.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        return True


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_bytes(data)
    temporary.chmod(0o600)
    temporary.replace(path)


def _answers(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((address, port)) == 0


def _handshake(address: str, port: int, host: str, context: ssl.SSLContext) -> bool:
    try:
        with (
            socket.create_connection((address, port), timeout=1) as raw,
            context.wrap_socket(raw, server_hostname=host),
        ):
            return True
    except (OSError, ssl.SSLError):
        return False


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with (folder / "workload.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
