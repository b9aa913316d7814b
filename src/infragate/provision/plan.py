"""A plan: the changes that make one environment's live resources match its design, with a stable digest.

A plan is data. It records the design digest and a digest of the live state it was computed against, so
``apply`` can refuse a plan whose design or live state has moved on (a stale plan).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import cast

from infragate.errors import UsageError
from infragate.json_values import Json, JsonObject
from infragate.model import ComponentKind


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    NOOP = "no-op"


@dataclass(frozen=True)
class AttributeChange:
    attribute: str
    before: Json  # None when the resource does not exist on that side
    after: Json
    forces_replacement: bool = False


@dataclass(frozen=True)
class Change:
    kind: ComponentKind
    name: str
    action: Action
    attributes: tuple[AttributeChange, ...] = ()
    unknown: tuple[str, ...] = ()  # attributes that could not be read live, so were not compared

    @property
    def key(self) -> str:
        return f"{self.kind.value}:{self.name}"

    def to_json(self) -> JsonObject:
        return {
            "kind": self.kind.value,
            "name": self.name,
            "action": self.action.value,
            "attributes": [
                {
                    "attribute": a.attribute,
                    "before": a.before,
                    "after": a.after,
                    "forces_replacement": a.forces_replacement,
                }
                for a in self.attributes
            ],
            "unknown": list(self.unknown),
        }

    @classmethod
    def from_json(cls, item: object) -> Change:
        """A change as ``to_json`` wrote it (TypeError, KeyError or ValueError when it is not one)."""
        data = _object(item)
        return cls(
            kind=ComponentKind(str(data["kind"])),
            name=str(data["name"]),
            action=Action(str(data["action"])),
            attributes=tuple(
                AttributeChange(
                    str(a["attribute"]), _json(a["before"]), _json(a["after"]), bool(a["forces_replacement"])
                )
                for a in map(_object, _list(data["attributes"]))
            ),
            unknown=tuple(str(u) for u in _list(data.get("unknown", []))),
        )


def _object(value: object) -> dict[str, object]:
    if not isinstance(value, dict):
        raise TypeError("a JSON object was expected")
    return value


def _list(value: object) -> list[object]:
    if not isinstance(value, list):
        raise TypeError("a JSON list was expected")
    return value


def _json(value: object) -> Json:
    """A value read from JSON (which can only hold JSON values)."""
    return cast(Json, value)


@dataclass(frozen=True)
class Plan:
    project: str
    environment: str
    design_digest: str
    live_digest: str
    changes: tuple[Change, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def pending(self) -> list[Change]:
        return [change for change in self.changes if change.action is not Action.NOOP]

    def body(self) -> JsonObject:
        return {
            "project": self.project,
            "environment": self.environment,
            "design_digest": self.design_digest,
            "live_digest": self.live_digest,
            "changes": [change.to_json() for change in self.changes],
            "notes": list(self.notes),
        }

    @property
    def digest(self) -> str:
        """Identity of the plan's content: what an approval binds to."""
        canonical = json.dumps(self.body(), sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()

    def to_json(self) -> str:
        return json.dumps({"format": "infragate-plan/1", "digest": self.digest, **self.body()}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str) -> Plan:
        try:
            data = _object(json.loads(text))
            if data.get("format") != "infragate-plan/1":
                raise ValueError("it is not an infragate plan (no 'format': 'infragate-plan/1')")
            plan = cls(
                project=str(data["project"]),
                environment=str(data["environment"]),
                design_digest=str(data["design_digest"]),
                live_digest=str(data["live_digest"]),
                changes=tuple(Change.from_json(item) for item in _list(data["changes"])),
                notes=tuple(str(note) for note in _list(data.get("notes", []))),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise UsageError(
                f"{source}: cannot read the plan ({exc})",
                hint="Write a plan with `infragate plan --env NAME --out FILE`.",
            ) from None
        if data.get("digest") != plan.digest:
            raise UsageError(
                f"{source}: the plan was edited after it was written (its digest does not match its content)",
                hint="Plans are not edited by hand; change the design and plan again.",
            )
        return plan
