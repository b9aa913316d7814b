"""Webhook signatures against the services' published test vectors (service-apis.md §3.3, §4.4)."""

from __future__ import annotations

import pytest

from infragate.cicd.signatures import circleci_signature, circleci_valid, github_signature, github_valid

CIRCLECI_VECTORS = [
    ("hello world", "secret", "734cc62f32841568f45715aeb9f4d7891324e6d948e4c6c60c0621cdac48623a"),
    ("lalala", "another-secret", "daa220016c8f29a8b214fbfc3671aeec2145cfb1e6790184ffb38b6d0425fa00"),
    ("foo", "secret", "773ba44693c7553d6ee20f61ea5d2757a9a4f4a44d2841ae4e95b52e4cd62db4"),
    ("an-important-request-payload", "hunter123", "9be2242094a9a8c00c64306f382a7f9d691de910b4a266f67bd314ef18ac49fa"),
]
GITHUB_SECRET = "It's a Secret to Everybody"
GITHUB_HEADER = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


@pytest.mark.parametrize(("body", "secret", "expected"), CIRCLECI_VECTORS)
def test_circleci_vectors(body: str, secret: str, expected: str) -> None:
    assert circleci_signature(secret, body.encode()) == f"v1={expected}"
    assert circleci_valid(secret, body.encode(), f"v1={expected}")
    assert circleci_valid(secret, body.encode(), f"v2=whatever, v1={expected}")  # other versions listed beside


def test_circleci_refuses_wrong_missing_and_downgraded_signatures() -> None:
    body, secret, good = CIRCLECI_VECTORS[0]
    assert not circleci_valid(secret, body.encode() + b" ", f"v1={good}")  # one byte more
    assert not circleci_valid("Secret", body.encode(), f"v1={good}")  # another secret
    assert not circleci_valid(secret, body.encode(), None)
    assert not circleci_valid(secret, body.encode(), f"v0={good}")  # no v1: not accepted in its place
    assert not circleci_valid("", body.encode(), f"v1={good}")  # no secret configured: nothing verifies


def test_github_vector() -> None:
    assert github_signature(GITHUB_SECRET, b"Hello, World!") == GITHUB_HEADER
    assert github_valid(GITHUB_SECRET, b"Hello, World!", GITHUB_HEADER)


def test_github_refuses_wrong_missing_and_legacy_signatures() -> None:
    assert not github_valid(GITHUB_SECRET, b"Hello, World?", GITHUB_HEADER)
    assert not github_valid(GITHUB_SECRET, b"Hello, World!", GITHUB_HEADER.removeprefix("sha256="))  # prefix
    assert not github_valid(GITHUB_SECRET, b"Hello, World!", "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59")
    assert not github_valid(GITHUB_SECRET, b"Hello, World!", None)
    assert not github_valid("", b"Hello, World!", GITHUB_HEADER)
