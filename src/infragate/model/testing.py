"""What an environment declares for its infrastructure tests (ICP-3.2): its endpoints (with an optional pin to
an address, as ``curl --resolve`` does), the test cases it adds, and a workload serving it on embedded AWS."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, HttpUrl, JsonValue, WithJsonSchema, field_validator, model_validator

from infragate.model.base import Model

PIN = re.compile(r"^(?P<address>\[[0-9a-fA-F:]+\]|[0-9.]+):(?P<port>\d{1,5})$")
MAX_CASES = 200  # per environment: a test run stays bounded
MAX_BODY = 64 * 1024  # a declared request body


def split_pin(pin: str) -> tuple[str, int]:
    """'127.0.0.1:8443' -> ('127.0.0.1', 8443); '[::1]:8443' -> ('::1', 8443)."""
    found = PIN.match(pin)
    if found is None:
        raise ValueError(f"'{pin}' is not ADDRESS:PORT (an IP address and a port, e.g. 127.0.0.1:8443)")
    address, port = found["address"].strip("[]"), int(found["port"])
    ipaddress.ip_address(address)  # ValueError for a name: a pin is an address, never something to resolve
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} is outside 1-65535")
    return address, port


def _url_shorthand(value: object) -> object:
    return {"url": value} if isinstance(value, str) else value


class Endpoint(Model):
    """A URL that tests, scans and stress tests may reach."""

    url: HttpUrl
    resolve: str | None = Field(
        default=None,
        description="Connect to ADDRESS:PORT for this URL's host (Host and TLS SNI stay the URL's): a loopback "
        "address, or one of the environment's own Elastic IPs",
        examples=["127.0.0.1:8443"],
    )
    resolve_http: str | None = Field(
        default=None,
        description="The same for the http:// form of the URL (the redirect-to-HTTPS check)",
        examples=["127.0.0.1:8080"],
    )
    health: str | None = Field(default=None, pattern=r"^/[^\s]*$", description="A path that answers 200 when healthy")
    status: int = Field(default=200, ge=100, le=599, description="The status the URL answers with")

    @field_validator("resolve", "resolve_http")
    @classmethod
    def _pin(cls, value: str | None) -> str | None:
        if value is not None:
            split_pin(value)
        return value

    @property
    def host(self) -> str:
        return self.url.host or ""

    def __str__(self) -> str:
        return str(self.url)


EndpointList = Annotated[
    tuple[Annotated[Endpoint, BeforeValidator(_url_shorthand)], ...],
    WithJsonSchema(
        {"type": "array", "items": {"anyOf": [{"type": "string", "format": "uri"}, Endpoint.model_json_schema()]}}
    ),
]


class CaseRequest(Model):
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] = "GET"
    path: str = Field(pattern=r"^/[^\s]*$")
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = Field(default=None, max_length=MAX_BODY)
    json_body: JsonValue = Field(default=None, alias="json")
    endpoint: int = Field(default=0, ge=0, description="Which of the environment's endpoints (by position)")

    @model_validator(mode="after")
    def _one_body(self) -> CaseRequest:
        if self.body is not None and self.json_body is not None:
            raise ValueError("give body or json, not both")
        return self


class CaseExpectation(Model):
    status: int | None = Field(default=None, ge=100, le=599)
    body_contains: str | None = Field(default=None, min_length=1)
    body_matches: str | None = Field(default=None, min_length=1, description="A regular expression")
    headers: dict[str, str | None] = Field(
        default_factory=dict, description="name: value that must be equal, or name: null that must be present"
    )
    json_equals: dict[str, JsonValue] = Field(
        default_factory=dict, alias="json", description="dotted path (items.0.name) -> the value it must equal"
    )
    max_ms: int | None = Field(default=None, ge=1, le=59_999, description="The slowest acceptable answer")

    @field_validator("body_matches")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            re.compile(value)
        return value

    @model_validator(mode="after")
    def _expects_something(self) -> CaseExpectation:
        if not any((self.status, self.body_contains, self.body_matches, self.headers, self.json_equals, self.max_ms)):
            raise ValueError("a test case must expect something (status, body, headers, json or max_ms)")
        return self


class TestCase(Model):
    """A request the environment must answer as expected."""

    __test__ = False  # not a pytest test class

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9 _-]{0,79}$")
    request: CaseRequest
    expect: CaseExpectation


class Workload(Model):
    """A command that serves the project's application for an embedded environment, on 127.0.0.1.

    Placeholders: {python} {design_dir} {host} {https_port} {http_port} {certfile} {keyfile}; the ports come
    from the first endpoint's pins, the certificate from a local CA that only this environment trusts."""

    command: str = Field(min_length=1, max_length=2000)
    ready_path: str = Field(default="/", pattern=r"^/[^\s]*$", description="Answers once the workload serves")
