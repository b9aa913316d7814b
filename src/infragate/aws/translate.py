"""The one place where botocore exceptions become infragate errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)
from botocore.parsers import ResponseParserError

from infragate.errors import (
    AwsAccessDeniedError,
    AwsCredentialsError,
    AwsError,
    AwsNotFoundError,
    AwsThrottledError,
    AwsUnreachableError,
)

T = TypeVar("T")

ACCESS_DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthFailure",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
}
THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "SlowDown",
    "RequestThrottled",
}


NOT_FOUND_SUFFIXES = ("NotFound", "NotFoundError", "NotFoundException", "NotFoundFault")


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def translate(exc: Exception, what: str) -> AwsError:
    """Map a botocore exception raised while doing ``what`` to the error tree."""
    if isinstance(exc, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError):
        return AwsUnreachableError(
            f"{what}: the AWS endpoint cannot be reached ({exc})",
            hint="Check the network, the region and the endpoint; for embedded AWS run `infragate aws-local status`.",
        )
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return AwsCredentialsError(
            f"{what}: no AWS credentials found",
            hint="Configure the environment's profile (aws configure --profile NAME) or "
            "set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.",
        )
    if isinstance(exc, ProfileNotFound):
        return AwsCredentialsError(
            f"{what}: {exc}",
            hint="Create the profile (aws configure --profile NAME) or change the environment's aws.profile.",
        )
    if isinstance(exc, NoRegionError):
        return AwsError(f"{what}: no AWS region configured", hint="Set region on the environment.")
    if isinstance(exc, ClientError):
        code = error_code(exc)
        message = exc.response.get("Error", {}).get("Message", "") or str(exc)
        if code in ACCESS_DENIED:
            return AwsAccessDeniedError(
                f"{what}: access denied ({code}: {message})",
                hint="Grant the role or profile the permission, or run with another one.",
            )
        if code in THROTTLED:
            return AwsThrottledError(
                f"{what}: AWS is throttling requests ({code})",
                hint="Retry later, or set INFRAGATE_AWS_RETRY_MODE=adaptive.",
            )
        if code.startswith(("NoSuch", "NotFound")) or code.endswith(NOT_FOUND_SUFFIXES):
            return AwsNotFoundError(
                f"{what}: not found ({code}: {message})", aws_code=code, hint="Check the name or id."
            )
        return AwsError(f"{what}: {code}: {message}", aws_code=code, hint="See the AWS error code above.")
    if isinstance(exc, ResponseParserError):
        return AwsError(
            f"{what}: the endpoint answered with something that is not an AWS response",
            hint="An emulator answers this way for operations it does not implement; against AWS, retry later.",
        )
    if isinstance(exc, BotoCoreError):
        return AwsError(f"{what}: {exc}", hint="Check the AWS configuration of the environment.")
    raise exc


def guarded(what: str, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one AWS call; botocore errors come out as infragate errors."""
    try:
        return call(*args, **kwargs)
    except (BotoCoreError, ClientError, ResponseParserError) as exc:
        raise translate(exc, what) from exc
