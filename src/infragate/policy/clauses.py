"""The policy clause index, kept as data (``clauses.yaml``) so every rule can cite a real clause."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from infragate.model import Role


@dataclass(frozen=True)
class Clause:
    id: str
    stage: str
    text: str
    roles: tuple[Role, ...]


@cache
def clause_index() -> dict[str, Clause]:
    raw = yaml.safe_load(resources.files("infragate.policy").joinpath("clauses.yaml").read_text("utf-8"))
    return {
        item["id"]: Clause(item["id"], item["stage"], item["text"], tuple(Role(r) for r in item["roles"]))
        for item in raw
    }
