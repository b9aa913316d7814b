"""The one mapping from outcomes and errors to process exit codes."""

from __future__ import annotations

from enum import IntEnum

from infragate.errors import (
    AuthenticationError,
    AwsError,
    DesignError,
    InfragateError,
    LockHeldError,
    OutputError,
    RefusedError,
    ServiceError,
    StoreError,
    UsageError,
)


class ExitCode(IntEnum):
    OK = 0
    FINDINGS = 1  # failing findings at or above --fail-on
    USAGE = 2  # wrong flag, bad design file, unwritable output
    AWS = 3  # AWS (or another service: GitHub, CircleCI, Loader.io) unreachable, refusing, throttling beyond retries
    INTERNAL = 4  # a bug in infragate
    STORE = 5  # the database cannot be used
    LOCKED = 6  # another writer holds the environment's lock
    INTERRUPTED = 130  # Ctrl-C


def exit_code_for(error: InfragateError) -> ExitCode:
    if isinstance(error, RefusedError):
        return ExitCode.FINDINGS  # like `gate check`: the policy says no, the command was used correctly
    if isinstance(error, UsageError | DesignError | OutputError | AuthenticationError):
        return ExitCode.USAGE
    if isinstance(error, AwsError | ServiceError):
        return ExitCode.AWS
    if isinstance(error, StoreError):
        return ExitCode.STORE
    if isinstance(error, LockHeldError):
        return ExitCode.LOCKED
    return ExitCode.INTERNAL
