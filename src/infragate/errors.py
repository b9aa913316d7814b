"""The one exception tree of infragate.

Every error a user can meet is one of these. Each carries a stable ``code`` (for scripts and the
web API), a human ``message`` and a ``hint`` that says what to do. The CLI maps them to exit codes in
one place (``cli/exit_codes.py``); nothing else decides exit codes.

A failing policy check is a *finding*, never an exception.

    InfragateError                     exit 4  (internal / unexpected)
    ├── UsageError                     exit 2  wrong flag or argument value
    ├── RefusedError                   exit 1  a gate does not hold (e.g. launch before every criterion)
    ├── DesignError                    exit 2  the design file cannot be used
    │   ├── DesignSyntaxError                  YAML that does not parse
    │   └── DesignValidationError              parsed, but wrong types/keys/references
    ├── OutputError                    exit 2  a report cannot be written where asked
    ├── AuthenticationError            exit 2  who is asking cannot be established (password, token)
    │   └── TooManyAttemptsError               too many sign-ins from one address (HTTP 429)
    ├── StoreError                     exit 5  the database cannot be used (unreachable, bad URL)
    │   └── ServerError                        the infragate server cannot be reached or answers wrongly
    ├── LockHeldError                  exit 6  another writer holds the environment's lock
    └── AwsError                       exit 3  AWS could not be used
        ├── AwsCredentialsError        a real account with no usable credentials
        ├── AwsAccessDeniedError       the credentials may not do this
        ├── AwsThrottledError          still throttled after botocore's retries
        ├── AwsNotFoundError           the resource does not exist
        ├── AwsUnreachableError        the endpoint cannot be reached
        ├── AwsUnsupportedError        the endpoint does not implement the operation
        └── EmbeddedAwsError           the local AWS emulator cannot be started or used
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class SourceLocation:
    """A place in a file that an error or finding points at (1-based line and column)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    message: str
    location: SourceLocation | None = None
    field_path: str = ""

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        field = f"{self.field_path}: " if self.field_path else ""
        return f"{where}{field}{self.message}"


class InfragateError(Exception):
    """Base of every infragate error."""

    code = "internal"

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(InfragateError):
    """A command was called with an argument it cannot use."""

    code = "usage"


class RefusedError(InfragateError):
    code = "refused"


class AuthenticationError(InfragateError):
    """Who is asking could not be established (wrong password, locked account, bad or expired token)."""

    code = "authentication"


class TooManyAttemptsError(AuthenticationError):
    """Too many sign-ins from one address in a short time (HTTP 429)."""

    code = "auth.rate-limited"


class ServiceError(InfragateError):
    """A service infragate works through (GitHub, CircleCI, Loader.io, a scanner's API) failed, refused or
    could not be reached: not a bug in infragate, and not the user's input."""

    code = "service"


class WebhookRejectedError(AuthenticationError):
    """A webhook delivery that cannot be trusted: unsigned, wrongly signed, stale, or not for a known project."""

    code = "webhook.rejected"


class DuplicateDeliveryError(InfragateError):
    """A webhook delivery seen before (its delivery id or its signed body): a replay, or a retry (HTTP 409)."""

    code = "webhook.replayed"


class NotFoundError(UsageError):
    """What was asked for does not exist (a project, a finding)."""

    code = "not-found"


class OutputError(InfragateError):
    """A report or artifact could not be written."""

    code = "output"


class DesignError(InfragateError):
    """The design file cannot be used."""

    code = "design"

    def __init__(self, message: str, *, problems: tuple[Problem, ...] = (), hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.problems = problems


class DesignSyntaxError(DesignError):
    """The design file is not valid YAML (or cannot be read)."""

    code = "design.syntax"


class DesignValidationError(DesignError):
    """The design file parsed but has wrong types, unknown keys, duplicates or dangling references."""

    code = "design.invalid"


class StoreError(InfragateError):
    code = "store.unavailable"


class ServerError(StoreError):
    """Team mode: the infragate server the CLI is logged in to cannot be reached, or answers with an error."""

    code = "server"


class LockHeldError(InfragateError):
    code = "lock.held"


class AwsError(InfragateError):
    """An AWS call failed in a way the user must act on (access, throttling, unreachable endpoint)."""

    code = "aws"

    def __init__(self, message: str, *, hint: str = "", aws_code: str = "") -> None:
        super().__init__(message, hint=hint)
        self.aws_code = aws_code  # AWS's own error code, e.g. "NoSuchBucket", when AWS answered


class AwsCredentialsError(AwsError):
    code = "aws.credentials"


class AwsAccessDeniedError(AwsError):
    code = "aws.access-denied"


class AwsThrottledError(AwsError):
    code = "aws.throttled"


class AwsNotFoundError(AwsError):
    code = "aws.not-found"


class AwsUnreachableError(AwsError):
    code = "aws.unreachable"


class EmbeddedAwsError(AwsError):
    code = "aws.embedded"


class AwsUnsupportedError(AwsError):
    """The endpoint does not implement an operation (the embedded emulator lacks a few)."""

    code = "aws.unsupported"


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate the user most likely meant: a close spelling, or the one ``word`` abbreviates."""
    known = sorted(set(candidates))
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    if close:
        return close[0]
    prefixed = [name for name in known if word and name.startswith(word)]
    return prefixed[0] if len(prefixed) == 1 else None
