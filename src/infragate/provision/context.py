"""What a change handler works with: the connection, the design, names and tags, and AWS ids found so far.

Handlers find existing resources by their ``infragate:*`` tags (never by remembering ids between runs), so a
re-run after a crash or a failure adopts what an earlier run created instead of creating it twice.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

from infragate.inventory import Scope, Snapshot
from infragate.inventory.scope import COMPONENT_TAG, ENVIRONMENT_TAG, PROJECT_TAG
from infragate.model import Infrastructure

if TYPE_CHECKING:  # for annotations only: importing it at run time would load boto3 or SQLAlchemy
    from mypy_boto3_ec2.literals import ResourceTypeType
    from mypy_boto3_ec2.type_defs import FilterTypeDef, TagSpecificationTypeDef, TagTypeDef

    from infragate.aws import AwsConnection

ROLE_TAG = "infragate:role"
T = TypeVar("T")


@dataclass
class ApplyContext:
    connection: AwsConnection
    scope: Scope
    desired: Infrastructure
    snapshot: Snapshot
    production: bool = False
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    _found: dict[tuple[str, str], object] = field(default_factory=dict)
    _locks: dict[tuple[str, str], threading.Lock] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    # -- names and tags ---------------------------------------------------------------------------------
    @property
    def project(self) -> str:
        return str(self.scope.project)

    @property
    def environment(self) -> str:
        return str(self.scope.environment)

    @property
    def region(self) -> str:
        return self.connection.spec.region

    @property
    def account(self) -> str:
        return self.snapshot.account

    @property
    def embedded(self) -> bool:
        return self.connection.spec.embedded

    def aws_name(self, component: str) -> str:
        """The AWS name infragate gives a component: ``<project>-<env>-<component>``."""
        return f"{self.scope.prefix}{component}"

    def tag_map(self, component: str, **extra: str) -> dict[str, str]:
        return {
            PROJECT_TAG: self.project,
            ENVIRONMENT_TAG: self.environment,
            COMPONENT_TAG: component,
            "Name": self.aws_name(component),
            **extra,
        }

    def tags(self, component: str, **extra: str) -> list[TagTypeDef]:
        return [{"Key": k, "Value": v} for k, v in self.tag_map(component, **extra).items()]

    def tag_spec(self, resource_type: ResourceTypeType, component: str, **extra: str) -> list[TagSpecificationTypeDef]:
        return [{"ResourceType": resource_type, "Tags": self.tags(component, **extra)}]

    def tag_filters(self, component: str | None = None) -> list[FilterTypeDef]:
        filters: list[FilterTypeDef] = [
            {"Name": f"tag:{PROJECT_TAG}", "Values": [self.project]},
            {"Name": f"tag:{ENVIRONMENT_TAG}", "Values": [self.environment]},
        ]
        if component is not None:
            filters.append({"Name": f"tag:{COMPONENT_TAG}", "Values": [component]})
        return filters

    def token(self, *parts: str) -> str:
        """An idempotency token for one call of this run (botocore retries of that call reuse it)."""
        return "-".join((self.run_id, *parts))[:64]

    # -- calls ------------------------------------------------------------------------------------------
    # What AWS answers is botocore's parsed document: each caller reads it as the boto3-stubs TypedDict of the
    # operation it called (``reply: DescribeAddressesResultTypeDef = ctx.call(...)``), so no description
    # travels on untyped.
    def call(self, service: str, operation: str, **kwargs: object) -> Any:
        return self.connection.call(service, operation, region=None, **kwargs)

    def pages(self, service: str, operation: str, key: str, **kwargs: object) -> Any:
        """The ``key`` items of every page (a list)."""
        return [
            item
            for page in self.connection.pages(service, operation, region=None, **kwargs)
            for item in page.get(key, [])
        ]

    # -- ids found or created in this run, one lookup per resource even across threads ---------------
    def once(self, kind: str, name: str, find_or_create: Callable[[], T]) -> T:
        key = (kind, name)
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._found:
                self._found[key] = find_or_create()
            return cast(T, self._found[key])  # what find_or_create made for this key

    def serial(self, what: str) -> threading.Lock:
        """A lock for work that must not run in parallel with itself (use as ``with ctx.serial(...)``)."""
        with self._guard:
            return self._locks.setdefault(("serial", what), threading.Lock())

    def forget(self, kind: str, name: str) -> None:
        with self._guard:
            self._found.pop((kind, name), None)
