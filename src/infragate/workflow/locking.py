"""Environment locks as the workflow uses them: one writer per project environment (apply, destroy, run),
who holds it, and who may break it (the holder, or an admin), audit-logged."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from infragate.errors import UsageError
from infragate.store import audit_log
from infragate.store import locks as store_locks
from infragate.store.schema import User
from infragate.workflow.bus import handles
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.messages import Command, Items, Query, Result
from infragate.workflow.project import ProjectWork, open_project
from infragate.workflow.roles import Action, RoleError, require


class LockOut(Result):
    """A held lock: who, for what, where, since when, and whether it may be taken over."""

    project: str
    environment: str
    holder: str
    purpose: str
    host: str
    pid: int
    acquired_at: datetime
    stale: bool

    @classmethod
    def of(cls, info: store_locks.LockInfo) -> LockOut:
        return cls(
            project=info.project,
            environment=info.environment,
            holder=info.holder,
            purpose=info.purpose,
            host=info.host,
            pid=info.pid,
            acquired_at=info.acquired_at,
            stale=info.stale,
        )

    def describe(self) -> str:
        since = f"{self.acquired_at:%Y-%m-%d %H:%M:%S} UTC"
        return f"{self.holder} ({self.purpose}, {self.host} pid {self.pid}, since {since})"


def take_lock(work: ProjectWork, environment: str, purpose: str, *, timeout_s: float = 0.0) -> store_locks.Lease:
    """Take the environment's lock for ``purpose`` (waiting up to ``timeout_s``, shown by the unit of work's
    view), or raise LockHeldError. A stale lock taken over is audit-logged."""
    work.design.environment(environment)
    lease = store_locks.acquire(
        work.store,
        work.name,
        environment,
        holder=work.actor,
        purpose=purpose,
        timeout_s=timeout_s,
        on_wait=lambda held: work.uow.view.waiting_for_lock(LockOut.of(held)),
    )
    if lease.taken_over is not None:
        stale = lease.taken_over
        with work.store.session() as session:
            audit_log.append(
                session,
                work.actor,
                "lock-taken-over",
                f"{work.name}/{environment}",
                {"from": stale.holder, "purpose": stale.purpose, "host": stale.host, "pid": stale.pid},
            )
    return lease


class Locks(Items[LockOut]):
    """Held locks."""


class ListLocks(Query[Locks]):
    """The project's held locks: holder, purpose, host and process, since when, and whether each is stale."""

    project: str


@handles(ListLocks)
def list_locks(command: ListLocks, caller: Caller, uow: UnitOfWork) -> Locks:
    work = open_project(uow, command.project, caller)
    return Locks([LockOut.of(info) for info in store_locks.all_locks(uow.store, work.name)])


class ReleaseLock(Command[LockOut]):
    """Break an environment's lock: allowed to its holder and to admins, and audit-logged."""

    project: str
    environment: str


@handles(ReleaseLock)
def release_lock(command: ReleaseLock, caller: Caller, uow: UnitOfWork) -> LockOut:
    work = open_project(uow, command.project, caller)
    environment = command.environment
    work.design.environment(environment)
    project = work.name
    held = store_locks.current(uow.store, project, environment)
    if held is None:
        raise UsageError(f"{project}/{environment} is not locked", hint="`infragate lock status` shows locks.")
    with uow.store.session() as session:
        user = session.scalars(select(User).where(User.name == work.actor)).first()
        roles = user.roles if user is not None else []
    if held.holder != work.actor:
        try:
            require(work.actor, roles, Action.RELEASE_LOCK)
        except RoleError:
            work.log_refusal("lock-release", f"{project}/{environment}", f"held by {held.holder}")
            raise
    released = store_locks.force_release(uow.store, project, environment)
    with uow.store.session() as session:
        audit_log.append(
            session,
            work.actor,
            "lock-released",
            f"{project}/{environment}",
            {"holder": held.holder, "purpose": held.purpose, "host": held.host, "pid": held.pid},
        )
    return LockOut.of(released or held)
