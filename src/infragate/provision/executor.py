"""Run changes in dependency order, independent ones in parallel.

A change starts when everything it needs has succeeded. A change that fails (after botocore's retries)
skips the changes that need it; independent work goes on. Ctrl-C stops scheduling new changes, lets the
running ones finish, and every change ends with an outcome the caller reports.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from infragate.errors import InfragateError
from infragate.provision.plan import Change


class Status(StrEnum):
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"  # something it needs failed or was skipped
    CANCELLED = "cancelled"  # interrupted before it started

    @property
    def ok(self) -> bool:
        return self is Status.DONE


@dataclass(frozen=True)
class Outcome:
    change: Change
    status: Status
    message: str = ""
    seconds: float = 0.0


class Progress(Protocol):
    def started(self, change: Change) -> None: ...

    def finished(self, outcome: Outcome) -> None: ...


@dataclass(frozen=True)
class Result:
    outcomes: tuple[Outcome, ...]
    interrupted: bool

    @property
    def succeeded(self) -> bool:
        return not self.interrupted and all(outcome.status.ok for outcome in self.outcomes)


Run = Callable[[Change], object]
"""Carries out one change; raises on failure."""


def execute(
    changes: Sequence[Change],
    needs: Mapping[str, set[str]],
    run: Run,
    *,
    parallelism: int = 8,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Result:
    """Run the changes in dependency order. Ctrl-C, or ``should_stop`` turning true (a cancelled job),
    stops scheduling: running changes finish, the rest are reported cancelled."""
    by_key = {change.key: change for change in changes}
    waiting = dict(by_key)
    outcomes: dict[str, Outcome] = {}
    running: dict[Future[float], Change] = {}
    interrupted = False

    def record(outcome: Outcome) -> None:
        outcomes[outcome.change.key] = outcome
        if progress is not None:
            progress.finished(outcome)

    def timed(change: Change) -> float:
        started = time.perf_counter()
        run(change)
        return time.perf_counter() - started

    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        try:
            while waiting or running:
                if should_stop is not None and should_stop():
                    raise KeyboardInterrupt  # the same clean stop as Ctrl-C
                submitted = len(running)
                # Repeat the pass until it settles: a skip can block changes already looked at in this
                # pass (in any input order), and only then is "nothing can start" a real cycle.
                settled = False
                while not settled:
                    settled = True
                    for key, change in list(waiting.items()):
                        deps = {d for d in needs.get(key, set()) if d in by_key}
                        blocked = [d for d in deps if d in outcomes and not outcomes[d].status.ok]
                        if blocked:
                            del waiting[key]
                            settled = False
                            reason = f"not attempted: {', '.join(sorted(blocked))} did not succeed"
                            record(Outcome(change, Status.SKIPPED, reason))
                        elif all(d in outcomes for d in deps) and len(running) < parallelism:
                            del waiting[key]
                            if progress is not None:
                                progress.started(change)
                            running[pool.submit(timed, change)] = change
                if not running:
                    if waiting and len(running) == submitted == 0:  # nothing can ever start: a cycle
                        for change in waiting.values():
                            record(Outcome(change, Status.FAILED, "its requirements form a cycle; please report it"))
                        waiting.clear()
                    continue
                done, _ = wait(list(running), timeout=0.5, return_when=FIRST_COMPLETED)
                for future in done:
                    change = running.pop(future)
                    record(_outcome(change, future))
        except KeyboardInterrupt:
            interrupted = True
            for change in waiting.values():
                record(Outcome(change, Status.CANCELLED, "not started: interrupted"))
            waiting.clear()
            for future, change in list(running.items()):
                record(_outcome(change, future))  # let the running calls finish: no half-made resource
    return Result(tuple(outcomes[c.key] for c in changes if c.key in outcomes), interrupted)


def _outcome(change: Change, future: Future[float]) -> Outcome:
    try:
        seconds = future.result()
    except InfragateError as error:
        return Outcome(change, Status.FAILED, error.message)
    except Exception as error:  # a handler bug fails its change, never the whole apply
        return Outcome(change, Status.FAILED, f"internal error ({type(error).__name__}: {error}); please report it")
    return Outcome(change, Status.DONE, "", seconds)
