"""A user's own locustfile (the design's ``stress.locustfile``), checked before Locust starts and without
importing it (infragate never imports Locust's world, which patches the standard library with gevent).

Its User classes make the requests; everything else stays infragate's: the target (the environment's
endpoint replaces each class's ``host``), where connections may go, the load over time and the caps (the
design's profile, so a LoadTestShape of its own is refused), and the recording. Its digest is part of the
stress plan, so a lead who approved production's plan approved this file's exact content."""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass
from pathlib import Path

from infragate.errors import UsageError

MAX_BYTES = 1_000_000
USER_BASES = ("User", "HttpUser", "FastHttpUser")


@dataclass(frozen=True)
class UserLocustfile:
    path: Path
    sha256: str
    users: tuple[str, ...]  # the User classes it defines


def digest(content: bytes) -> str:
    return "sha256:" + hashlib.sha256(content).hexdigest()


def inspect(path: Path, field: str) -> UserLocustfile:
    """``path`` read and checked: it parses, defines a User class, and leaves the load to the design.
    ``field`` names where the design gave it, for the messages."""
    if not path.is_file():
        raise UsageError(
            f"{field}: {path} is not a file", hint="Give the locustfile's path relative to the design file."
        )
    content = path.read_bytes()
    if len(content) > MAX_BYTES:
        raise UsageError(f"{field}: {path} is over {MAX_BYTES:,} bytes", hint="A locustfile is a small program.")
    try:
        tree = ast.parse(content, filename=str(path))
    except SyntaxError as exc:
        raise UsageError(
            f"{path}:{exc.lineno or 0}: {exc.msg} (the locustfile of {field})",
            hint=f"Fix its Python: `python -m py_compile {path}` shows the same error.",
        ) from None
    except ValueError as exc:  # e.g. NUL bytes: not a Python source file at all
        raise UsageError(f"{path}: {exc} (the locustfile of {field})", hint="Give a Python source file.") from None
    users: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        bases = {_base_name(base) for base in node.bases}
        if "LoadTestShape" in bases:
            raise UsageError(
                f"{path}:{node.lineno}: {node.name} is a LoadTestShape, and the load comes from the design",
                hint="Remove it: the design's stress profile and caps set the load over time (a reviewed plan).",
            )
        # A class is a user when it subclasses Locust's or one defined earlier in the file (a shared base).
        if bases & {*USER_BASES, *users}:
            users.append(node.name)
    if not users:
        raise UsageError(
            f"{path} defines no Locust User class (the locustfile of {field})",
            hint="Define a class that subclasses FastHttpUser (or HttpUser) with @task methods.",
        )
    return UserLocustfile(path, digest(content), tuple(users))


def _base_name(base: ast.expr) -> str:
    """``FastHttpUser`` of ``FastHttpUser`` or ``locust.FastHttpUser``."""
    if isinstance(base, ast.Attribute):
        return base.attr
    if isinstance(base, ast.Name):
        return base.id
    return ""
