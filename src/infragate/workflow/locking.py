"""Environment locks as the workflow uses them: one writer per project environment (apply, destroy, and the
jobs to come), who holds it, and who may break it (the holder, or an admin), audit-logged."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from infragate.errors import UsageError
from infragate.store import audit_log
from infragate.store import locks as store_locks
from infragate.store.schema import User
from infragate.workflow.base import WorkflowBase
from infragate.workflow.roles import Action, RoleError, require


class Locking(WorkflowBase):
    def lock(
        self,
        environment: str,
        purpose: str,
        *,
        timeout_s: float = 0.0,
        on_wait: Callable[[store_locks.LockInfo], None] | None = None,
    ) -> store_locks.Lease:
        """Take the environment's lock for ``purpose`` (waiting up to ``timeout_s``), or raise LockHeldError."""
        self.design.environment(environment)
        project = self.design.project.name
        lease = store_locks.acquire(
            self.store, project, environment, holder=self.actor, purpose=purpose, timeout_s=timeout_s, on_wait=on_wait
        )
        if lease.taken_over is not None:
            stale = lease.taken_over
            with self.store.session() as session:
                audit_log.append(
                    session,
                    self.actor,
                    "lock-taken-over",
                    f"{project}/{environment}",
                    {"from": stale.holder, "purpose": stale.purpose, "host": stale.host, "pid": stale.pid},
                )
        return lease

    def locks(self) -> list[store_locks.LockInfo]:
        return store_locks.all_locks(self.store, self.design.project.name)

    def release_lock(self, environment: str) -> store_locks.LockInfo:
        """Break the environment's lock: allowed to its holder and to admins, and audit-logged."""
        self.design.environment(environment)
        project = self.design.project.name
        held = store_locks.current(self.store, project, environment)
        if held is None:
            raise UsageError(f"{project}/{environment} is not locked", hint="`infragate lock status` shows locks.")
        with self.store.session() as session:
            user = session.scalars(select(User).where(User.name == self.actor)).first()
            roles = user.roles if user is not None else []
        if held.holder != self.actor:
            try:
                require(self.actor, roles, Action.RELEASE_LOCK)
            except RoleError:
                self.log_refusal("lock-release", f"{project}/{environment}", f"held by {held.holder}")
                raise
        released = store_locks.force_release(self.store, project, environment)
        with self.store.session() as session:
            audit_log.append(
                session,
                self.actor,
                "lock-released",
                f"{project}/{environment}",
                {"holder": held.holder, "purpose": held.purpose, "host": held.host, "pid": held.pid},
            )
        return released or held
