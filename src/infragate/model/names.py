"""Names that mean something: a blank or placeholder text is never an owner, an approver or a name.

Used by the rules (owners, approvers) and by the engine (a waiver approved by "TBD" waives nothing).
"""

from __future__ import annotations

import re

# Names become file names (docs, reports, plans) and AWS names: they stay within one path segment, and
# within the store's column sizes, the same on SQLite and PostgreSQL.
ENVIRONMENT_NAME = r"^[a-z][a-z0-9-]{0,39}$"
COMPONENT_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$"
PERSON_MAX = 120  # user names, owners and approvers (the store's user name column)
CLIENT_MAX = 200
PLACEHOLDERS = frozenset(
    {
        "tbd", "tba", "tbc", "todo", "fixme", "xxx", "changeme", "change-me", "change me", "n/a", "na", "none",
        "null", "nil", "nobody", "noone", "no one", "someone", "somebody", "anyone", "unknown", "placeholder",
        "owner", "name", "user", "test", "example", "lorem ipsum", "your name", "your-name", "foo", "bar",
    }
)  # fmt: skip
_ONLY_PUNCTUATION = re.compile(r"^[\W_]*$")
_TEMPLATE = re.compile(r"^(<.*>|\{\{.*\}\}|\$\{.*\}|\[.*\])$")


def is_placeholder(text: str | None) -> bool:
    """True for blank text, punctuation only (``?``, ``-``), template slots (``<name>``, ``{{ lead }}``)
    and the usual stand-ins (``TBD``, ``changeme``, ``nobody``)."""
    if text is None:
        return True
    value = text.strip()
    return (
        not value
        or bool(_ONLY_PUNCTUATION.match(value))
        or bool(_TEMPLATE.match(value))
        or value.lower() in PLACEHOLDERS
    )


def dns_name(name: str) -> str:
    """A DNS name as DNS compares it: case-insensitive, with or without the trailing root dot."""
    return name.strip().lower().rstrip(".")


def within_domain(host: str, domain: str) -> bool:
    host, domain = dns_name(host), dns_name(domain)
    return bool(domain) and (host == domain or host.endswith("." + domain))
