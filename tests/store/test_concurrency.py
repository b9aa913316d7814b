"""Many writer processes at once, on SQLite and PostgreSQL: the audit log stays one chain, and an environment
lock admits one writer at a time, is taken over when its holder died, and names its holder when refused."""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from infragate.errors import LockHeldError
from infragate.store import Store, audit_log
from infragate.store import locks as env_locks
from infragate.store.projects import ensure_project, start_run
from infragate.store.schema import EnvironmentLock, Run

WRITERS = 6


def _append_many(url: str, writer: int, count: int) -> None:
    store = Store(url)
    for index in range(count):
        with store.session() as session:
            audit_log.append(session, f"writer-{writer}", "test", f"entry {index}")
    store.engine.dispose()


def test_concurrent_appends_keep_one_chain(store: Store) -> None:
    with ProcessPoolExecutor(max_workers=WRITERS) as pool:
        list(pool.map(_append_many, [store.url] * WRITERS, range(WRITERS), [10] * WRITERS))
    with store.session() as session:
        checked, breaks = audit_log.verify(session)
    assert checked == WRITERS * 10 and breaks == []


def _count_under_lock(url: str, counter: str) -> None:
    store = Store(url)
    with env_locks.acquire(store, "webshop", "staging", holder="w", purpose="apply", timeout_s=60):
        path = Path(counter)
        value = int(path.read_text() or "0")
        time.sleep(0.05)  # a window in which a second writer would read the same value
        path.write_text(str(value + 1))
    store.engine.dispose()


def test_the_lock_admits_one_writer_at_a_time(store: Store, tmp_path: Path) -> None:
    counter = tmp_path / "counter"
    counter.write_text("0")
    with ProcessPoolExecutor(max_workers=WRITERS) as pool:
        list(pool.map(_count_under_lock, [store.url] * WRITERS, [str(counter)] * WRITERS))
    assert counter.read_text() == str(WRITERS)
    assert env_locks.current(store, "webshop", "staging") is None, "every writer released it"


def test_a_second_writer_is_refused_with_the_holders_name(store: Store) -> None:
    with env_locks.acquire(store, "webshop", "staging", holder="lena", purpose="apply") as held:
        with pytest.raises(LockHeldError, match=r"locked by lena \(apply, .* pid \d+"):
            env_locks.acquire(store, "webshop", "staging", holder="ivan", purpose="destroy", timeout_s=0.6)
        other = env_locks.acquire(store, "webshop", "production", holder="ivan", purpose="apply")
        other.release()
        assert held.info.holder == "lena"
    assert env_locks.acquire(store, "webshop", "staging", holder="ivan", purpose="destroy").info.holder == "ivan"


def test_a_lock_whose_process_died_is_taken_over_and_its_run_marked_interrupted(store: Store) -> None:
    with store.session() as session:
        project = ensure_project(session, "webshop", "Acme", "x.yaml", ["staging"])
        run_id = start_run(session, project, "staging", "apply").id
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lease = env_locks.acquire(store, "webshop", "staging", holder="killed", purpose="apply")
    lease.attach_run(run_id)
    lease._stop.set()  # the holder is SIGKILLed: no more heartbeats, no release
    with store.session() as session:
        session.execute(update(EnvironmentLock).values(pid=dead.pid))
    taken = env_locks.acquire(store, "webshop", "staging", holder="ivan", purpose="apply")
    assert taken.taken_over is not None and taken.taken_over.holder == "killed"
    with store.session() as session:
        assert session.get(Run, run_id).status == "interrupted"  # type: ignore[union-attr]
    taken.release()


def test_a_lock_without_heartbeats_expires(store: Store) -> None:
    lease = env_locks.acquire(store, "webshop", "staging", holder="elsewhere", purpose="apply", lease_s=5)
    lease._stop.set()
    old = datetime.now(UTC) - timedelta(seconds=30)
    with store.session() as session:  # held from another machine, silent for longer than its lease
        session.execute(update(EnvironmentLock).values(host="another-host", heartbeat_at=old))
    assert env_locks.current(store, "webshop", "staging").stale  # type: ignore[union-attr]
    assert env_locks.acquire(store, "webshop", "staging", holder="ivan", purpose="apply").info.holder == "ivan"
