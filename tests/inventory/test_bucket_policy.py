"""Bucket policies: a grant to everyone is public unless a condition really narrows who can use it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infragate.inventory.bucket_policy import policy_is_public


def policy(**statement: Any) -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", **statement}]}
    )


CLOUDFRONT = {"StringEquals": {"AWS:SourceArn": "arn:aws:cloudfront::123456789012:distribution/E1"}}

PUBLIC = {
    "principal star": policy(Principal="*"),
    "AWS star in a list": policy(Principal={"AWS": ["arn:aws:iam::1:root", "*"]}),
    "SecureTransport narrows nothing": policy(Principal="*", Condition={"Bool": {"aws:SecureTransport": "true"}}),
    "NotPrincipal grants everyone else": policy(NotPrincipal={"AWS": "arn:aws:iam::123456789012:root"}),
    "a wildcard source ARN": policy(Principal="*", Condition={"ArnLike": {"aws:SourceArn": "*"}}),
    "a negated condition": policy(Principal="*", Condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}),
    "an internet-wide source IP": policy(Principal="*", Condition={"IpAddress": {"aws:SourceIp": "0.0.0.0/1"}}),
    "a single statement object": json.dumps({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:*"}}),
    "not JSON at all": "{not json",
}
PRIVATE = {
    "CloudFront by source ARN": policy(Principal={"Service": "cloudfront.amazonaws.com"}, Condition=CLOUDFRONT),
    "everyone, but only from one VPC endpoint": policy(
        Principal="*", Condition={"StringEquals": {"aws:SourceVpce": "vpce-1a2b"}}
    ),
    "everyone in one organisation": policy(
        Principal="*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}
    ),
    "everyone from an office range": policy(Principal="*", Condition={"IpAddress": {"aws:SourceIp": ["52.94.0.0/22"]}}),
    "a named account": policy(Principal={"AWS": "arn:aws:iam::123456789012:root"}),
    "a deny for everyone": json.dumps({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*"}]}),
    "no policy": "",
}


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_policies(name: str) -> None:
    assert policy_is_public(PUBLIC[name])


@pytest.mark.parametrize("name", sorted(PRIVATE))
def test_policies_narrowed_to_someone(name: str) -> None:
    assert not policy_is_public(PRIVATE[name])
