"""Where test traffic may go, decided before a byte is sent: the environment's declared endpoints (each to its
pinned address when it has one) and its designed public addresses. Everything else is refused, naming the URL
and the rule. On embedded AWS an endpoint must be pinned to a loopback address: its host name is not ours."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from infragate.errors import UsageError
from infragate.model.testing import Endpoint, split_pin

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Destination:
    """A URL that may be requested, and the address and port its connection goes to (None: the host's DNS)."""

    url: str
    host: str
    port: int  # the URL's
    address: str | None  # the pinned address; None: the host's DNS
    connect_port: int  # where the connection goes: the pin's port, else the URL's


@dataclass(frozen=True)
class Scope:
    """The environment's allowed destinations: (host, port) -> pinned address, or None for DNS."""

    environment: str
    routes: dict[tuple[str, int], tuple[str, int] | None]
    public_addresses: frozenset[str]
    embedded: bool

    @classmethod
    def of(
        cls, environment: str, endpoints: tuple[Endpoint, ...], public_addresses: frozenset[str], *, embedded: bool
    ) -> Scope:
        routes: dict[tuple[str, int], tuple[str, int] | None] = {}
        for endpoint in endpoints:
            host, scheme = endpoint.host.lower(), endpoint.url.scheme
            port = endpoint.url.port or DEFAULT_PORTS[scheme]
            routes[(host, port)] = _pinned(endpoint.resolve, public_addresses, endpoint, embedded)
            if scheme == "https":  # the http:// twin, for the redirect check
                routes[(host, 80)] = _pinned(endpoint.resolve_http, public_addresses, endpoint, embedded)
        return cls(environment, routes, public_addresses, embedded)

    def destination(self, url: str) -> Destination:
        """The destination of ``url``; a UsageError, before anything is sent, when it is not declared."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in DEFAULT_PORTS or not host:
            raise UsageError(f"refused {url}: only http and https URLs of declared endpoints are tested")
        port = parts.port or DEFAULT_PORTS[parts.scheme]
        if (host, port) not in self.routes:
            raise UsageError(
                f"refused {url}: {host}:{port} is not an endpoint of {self.environment}",
                hint="Traffic only goes to the environment's declared endpoints; add it under endpoints: first.",
            )
        pin = self.routes[(host, port)]
        if pin is None and self.embedded:
            raise UsageError(
                f"refused {url}: on embedded AWS an endpoint must be pinned to a local address",
                hint=f"Add resolve: 127.0.0.1:PORT to {host} (its name is not this environment's on the internet).",
            )
        return Destination(url, host, port, pin[0] if pin else None, pin[1] if pin else port)

    def connect_to(self, host: str, port: int) -> tuple[str, int]:
        """Where a connection for (host, port) goes; refuses what is not declared (the transport's last check)."""
        key = (host.lower().strip("[]"), port)
        if key not in self.routes:
            raise UsageError(f"refused a connection to {host}:{port}: not an endpoint of {self.environment}")
        pin = self.routes[key]
        if pin is None and self.embedded:
            raise UsageError(f"refused a connection to {host}:{port}: not pinned on embedded AWS")
        return pin if pin is not None else (host, port)

    def address_allowed(self, address: str) -> bool:
        return address in self.public_addresses


def _pinned(
    pin: str | None, public_addresses: frozenset[str], endpoint: Endpoint, embedded: bool
) -> tuple[str, int] | None:
    if pin is None:
        return None
    address, port = split_pin(pin)
    if not ipaddress.ip_address(address).is_loopback and address not in public_addresses:
        raise UsageError(
            f"{endpoint.url}: resolve {pin} points at {address}, which is neither loopback nor one of "
            "the environment's Elastic IPs",
            hint="Pin only to 127.0.0.1 (a local workload) or to an address this environment owns.",
        )
    return address, port
