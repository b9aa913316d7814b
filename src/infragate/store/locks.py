"""Environment locks: one writer per project environment, on SQLite and PostgreSQL alike.

A lock is a row in ``environment_locks``. Its unique (project, environment) constraint decides races: of two
writers inserting at once, one gets an integrity error and waits. The holder renews a heartbeat while it
works (a daemon thread); a lock is stale when its heartbeat is older than its lease, or when its process is
gone from this host (a SIGKILL never blocks an environment for good). A stale lock is taken over with a
compare-and-swap on its token, so two writers cannot both take it over either.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from infragate.errors import LockHeldError
from infragate.processes import alive
from infragate.store.database import Store
from infragate.store.schema import EnvironmentLock, Run
from infragate.store.timestamps import as_utc

DEFAULT_LEASE_S = 30
POLL_S = 0.5


@dataclass(frozen=True)
class LockInfo:
    project: str
    environment: str
    holder: str
    purpose: str
    host: str
    pid: int
    acquired_at: datetime
    heartbeat_at: datetime
    lease_seconds: int
    run_id: int | None
    token: str

    @property
    def stale(self) -> bool:
        return _stale(self.host, self.pid, self.heartbeat_at, self.lease_seconds)

    def describe(self) -> str:
        return (
            f"{self.holder} ({self.purpose}, {self.host} pid {self.pid}, since "
            f"{self.acquired_at:%Y-%m-%d %H:%M:%S} UTC)"
        )


def _stale(host: str, pid: int, heartbeat_at: datetime, lease_seconds: int) -> bool:
    if host == socket.gethostname() and not alive(pid):
        return True
    return datetime.now(UTC) - as_utc(heartbeat_at) > timedelta(seconds=lease_seconds)


def _info(row: EnvironmentLock) -> LockInfo:
    return LockInfo(
        row.project,
        row.environment,
        row.holder,
        row.purpose,
        row.host,
        row.pid,
        as_utc(row.acquired_at),
        as_utc(row.heartbeat_at),
        row.lease_seconds,
        row.run_id,
        row.token,
    )


class Lease:
    """A held lock: renews its heartbeat until released (use as a context manager)."""

    def __init__(self, store: Store, info: LockInfo, taken_over: LockInfo | None) -> None:
        self.store, self.info, self.taken_over = store, info, taken_over
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="infragate-lock-heartbeat", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        interval = max(self.info.lease_seconds / 3, 0.2)
        while not self._stop.wait(interval):
            with self.store.session() as session:
                session.execute(
                    update(EnvironmentLock)
                    .where(EnvironmentLock.token == self.info.token)
                    .values(heartbeat_at=datetime.now(UTC))
                )

    def attach_run(self, run_id: int) -> None:
        """The run this lock protects: if the holder dies, whoever takes the lock over marks it interrupted."""
        with self.store.session() as session:
            session.execute(
                update(EnvironmentLock).where(EnvironmentLock.token == self.info.token).values(run_id=run_id)
            )

    def release(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        with self.store.session() as session:
            session.execute(delete(EnvironmentLock).where(EnvironmentLock.token == self.info.token))

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *_: object) -> None:
        self.release()


def current(store: Store, project: str, environment: str) -> LockInfo | None:
    with store.session() as session:
        row = session.scalars(
            select(EnvironmentLock).where(
                EnvironmentLock.project == project, EnvironmentLock.environment == environment
            )
        ).first()
        return _info(row) if row is not None else None


def all_locks(store: Store, project: str | None = None) -> list[LockInfo]:
    with store.session() as session:
        query = select(EnvironmentLock).order_by(EnvironmentLock.project, EnvironmentLock.environment)
        if project is not None:
            query = query.where(EnvironmentLock.project == project)
        return [_info(row) for row in session.scalars(query)]


def _holding(holder: str, purpose: str, lease_s: int) -> dict[str, object]:
    """The columns that say who holds a lock now: this process, on this host, with a fresh token."""
    now = datetime.now(UTC)
    return {
        "token": uuid.uuid4().hex,
        "holder": holder,
        "purpose": purpose,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "acquired_at": now,
        "heartbeat_at": now,
        "lease_seconds": lease_s,
    }


def _interrupt(session: Session, run_id: int | None, reason: str) -> None:
    """The run a lost lock protected did not finish: say so, instead of leaving it "running"."""
    run = session.get(Run, run_id) if run_id is not None else None
    if run is not None and run.status == "running":
        run.status, run.finished_at = "interrupted", datetime.now(UTC)
        run.summary = {**run.summary, "interrupted_because": reason}


def _try_insert(store: Store, project: str, environment: str, holder: str, purpose: str, lease_s: int) -> LockInfo:
    row = EnvironmentLock(project=project, environment=environment, **_holding(holder, purpose, lease_s))
    with store.session() as session:
        session.add(row)
        session.flush()
        return _info(row)


def _take_over(store: Store, stale: LockInfo, holder: str, purpose: str, lease_s: int) -> LockInfo | None:
    """Replace a stale lock, if nobody else replaced it first; mark the run it protected interrupted."""
    fields = _holding(holder, purpose, lease_s)
    with store.session() as session:
        changed = session.execute(
            update(EnvironmentLock).where(EnvironmentLock.token == stale.token).values(**fields, run_id=None)
        )
        if getattr(changed, "rowcount", 0) != 1:
            return None
        _interrupt(session, stale.run_id, f"its process ({stale.host} pid {stale.pid}) died")
        row = session.scalars(select(EnvironmentLock).where(EnvironmentLock.token == fields["token"])).one()
        return _info(row)


def acquire(
    store: Store,
    project: str,
    environment: str,
    *,
    holder: str,
    purpose: str,
    timeout_s: float = 0.0,
    lease_s: int = DEFAULT_LEASE_S,
    on_wait: Callable[[LockInfo], None] | None = None,
) -> Lease:
    """Take the environment's lock, waiting up to ``timeout_s`` for another writer; raise LockHeldError."""
    deadline = time.monotonic() + timeout_s
    told = False
    while True:
        try:
            return Lease(store, _try_insert(store, project, environment, holder, purpose, lease_s), None)
        except IntegrityError:
            pass  # someone holds it (or inserted it a moment before us)
        held = current(store, project, environment)
        if held is not None and held.stale:
            taken = _take_over(store, held, holder, purpose, lease_s)
            if taken is not None:
                return Lease(store, taken, held)
            continue
        if held is not None and time.monotonic() >= deadline:
            raise LockHeldError(
                f"{project}/{environment} is locked by {held.describe()}",
                hint="Wait for it to finish (--lock-timeout 10m waits up to ten minutes), or, if it is stuck, "
                "have the holder or an admin run `infragate lock release`.",
            )
        if held is not None and on_wait is not None and not told:
            on_wait(held)
            told = True
        time.sleep(POLL_S)


def force_release(store: Store, project: str, environment: str) -> LockInfo | None:
    """Remove the lock whoever holds it (the caller has checked who may); returns what was removed."""
    held = current(store, project, environment)
    if held is None:
        return None
    with store.session() as session:
        session.execute(delete(EnvironmentLock).where(EnvironmentLock.token == held.token))
        _interrupt(session, held.run_id, "its lock was released by hand")
    return held
