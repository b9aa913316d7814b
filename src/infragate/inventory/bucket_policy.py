"""Whether an S3 bucket policy grants access to everyone, judged the way AWS's own "is public" check does.

A statement makes a bucket public when it allows (``Effect: Allow``) everyone: ``Principal: "*"`` or
``{"AWS": "*"}``, or any ``NotPrincipal`` (everyone but the listed principals), unless a condition really
narrows *who* can use it. Conditions that narrow, with fixed values (no ``*`` wildcard) and a matching
operator (``StringEquals``, ``ArnEquals``, ``IpAddress``, …, never a ``Not`` operator):

* the source: ``aws:SourceArn``, ``aws:SourceAccount``, ``aws:SourceOwner``, ``aws:SourceVpc``,
  ``aws:SourceVpce``, and ``aws:SourceIp`` when no range is internet-wide (broader than /8);
* the caller: ``aws:PrincipalOrgID``, ``aws:PrincipalOrgPaths``, ``aws:PrincipalAccount``,
  ``aws:PrincipalArn``, ``aws:userid``, ``s3:DataAccessPointAccount``, ``s3:DataAccessPointArn``.

``aws:SecureTransport``, ``aws:UserAgent``, ``aws:Referer`` and the like narrow nothing: anyone can meet them.
A document that is not valid JSON cannot be shown to be private, so it counts as public.
"""

from __future__ import annotations

import json
from ipaddress import ip_network
from typing import Any

NARROWING_KEYS = frozenset(
    key.lower()
    for key in (
        "aws:SourceArn", "aws:SourceAccount", "aws:SourceOwner", "aws:SourceVpc", "aws:SourceVpce", "aws:SourceIp",
        "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:PrincipalAccount", "aws:PrincipalArn", "aws:userid",
        "s3:DataAccessPointAccount", "s3:DataAccessPointArn",
    )
)  # fmt: skip
MATCHING_OPERATORS = frozenset(
    op.lower()
    for op in (
        "StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike", "IpAddress",
        "ForAnyValue:StringEquals", "ForAllValues:StringEquals", "ForAnyValue:StringLike", "ForAllValues:StringLike",
    )
)  # fmt: skip
BROADEST_SOURCE_IP_PREFIX = 8


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return "*" in _as_list(principal.get("AWS", []))
    return False


def _fixed(key: str, values: list[Any]) -> bool:
    """Every value names something specific: no ``*``, and for source IPs no range broader than /8."""
    if not values or any(not isinstance(v, str) or not v.strip() or "*" in v for v in values):
        return False
    if key == "aws:sourceip":
        try:
            return all(ip_network(v, strict=False).prefixlen > BROADEST_SOURCE_IP_PREFIX for v in values)
        except ValueError:
            return False
    return True


def _narrowed(condition: Any) -> bool:
    if not isinstance(condition, dict):
        return False
    for operator, tests in condition.items():
        op = str(operator).lower().removesuffix("ifexists")
        if op not in MATCHING_OPERATORS or not isinstance(tests, dict):
            continue
        if any(str(k).lower() in NARROWING_KEYS and _fixed(str(k).lower(), _as_list(v)) for k, v in tests.items()):
            return True
    return False


def _grants_everyone(statement: Any) -> bool:
    if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
        return False
    if not (_everyone(statement.get("Principal")) or "NotPrincipal" in statement):
        return False
    return not _narrowed(statement.get("Condition"))


def policy_is_public(document: str | None) -> bool:
    """True when some statement allows everyone and no condition narrows who."""
    if not document:
        return False
    try:
        policy = json.loads(document)
    except ValueError:
        return True
    statements = policy.get("Statement", []) if isinstance(policy, dict) else []
    return any(_grants_everyone(statement) for statement in _as_list(statements))
