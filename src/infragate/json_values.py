"""JSON as a type: what infragate writes into JSON documents (reports, API bodies, config files) and reads
back from them, without ``Any``. A document from outside (a service's answer) is read through a TypedDict
that names the documented fields, or narrowed where it is read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeAlias

from typing_extensions import TypeAliasType

# Read-only containers, so a list of strings is a list of JSON values (``list`` and ``dict`` are invariant).
# A named alias (not a plain recursive one), so pydantic can read it too when a model holds one.
Json = TypeAliasType("Json", "bool | int | float | str | Sequence[Json] | Mapping[str, Json] | None")
JsonObject: TypeAlias = dict[str, Json]
