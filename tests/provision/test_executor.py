"""The executor on its own: ordering, parallelism, failure isolation, cycles; and plan files."""

from __future__ import annotations

import threading
import time

import pytest

from infragate.errors import AwsError, UsageError
from infragate.model import ComponentKind
from infragate.provision.executor import Status, execute
from infragate.provision.plan import Action, AttributeChange, Change, Plan


def change(name: str) -> Change:
    return Change(ComponentKind.BUCKET, name, Action.CREATE, (AttributeChange("versioning", None, True),))


def key(name: str) -> str:
    return f"bucket:{name}"


def test_dependencies_run_first_and_failures_skip_only_their_dependants() -> None:
    order: list[str] = []
    lock = threading.Lock()

    def run(item: Change) -> str:
        with lock:
            order.append(item.name)
        if item.name == "broken":
            raise AwsError("injected failure")
        return ""

    changes = [change(n) for n in ("base", "middle", "top", "broken", "needs-broken", "free")]
    needs = {key("middle"): {key("base")}, key("top"): {key("middle")}, key("needs-broken"): {key("broken")}}
    result = execute(changes, needs, run, parallelism=3)
    status = {o.change.name: o.status for o in result.outcomes}
    assert status == {
        "base": Status.DONE,
        "middle": Status.DONE,
        "top": Status.DONE,
        "broken": Status.FAILED,
        "needs-broken": Status.SKIPPED,
        "free": Status.DONE,
    }
    assert order.index("base") < order.index("middle") < order.index("top")
    assert "needs-broken" not in order and not result.succeeded


def test_independent_changes_run_in_parallel_up_to_the_limit() -> None:
    running, peak = 0, 0
    lock = threading.Lock()

    def run(item: Change) -> str:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return ""

    changes = [change(f"b{i}") for i in range(8)]
    assert execute(changes, {}, run, parallelism=4).succeeded
    assert peak == 4
    peak = 0
    assert execute(changes, {}, run, parallelism=1).succeeded
    assert peak == 1


def test_a_cycle_fails_cleanly() -> None:
    cycle = execute([change("a"), change("b")], {key("a"): {key("b")}, key("b"): {key("a")}}, lambda item: "")
    assert {o.status for o in cycle.outcomes} == {Status.FAILED}


def test_plan_files_round_trip_and_refuse_edits() -> None:
    plan = Plan("webshop", "staging", "sha256:d", "sha256:l", (change("assets"),))
    again = Plan.from_json(plan.to_json(), "plan.json")
    assert again == plan and again.digest == plan.digest
    edited = plan.to_json().replace('"versioning"', '"encryption"')
    with pytest.raises(UsageError, match="edited"):
        Plan.from_json(edited, "plan.json")
    with pytest.raises(UsageError, match="not an infragate plan"):
        Plan.from_json("{}", "plan.json")
    # Hostile shapes are a clear refusal, never a traceback: a list, changes that are not objects.
    for text in ("[]", '"plan"', plan.to_json().replace('"changes": [', '"changes": ["x", ')):
        with pytest.raises(UsageError, match=r"cannot read the plan|edited"):
            Plan.from_json(text, "plan.json")


@pytest.mark.parametrize("order", [("a", "b", "c", "d"), ("d", "c", "b", "a"), ("c", "a", "d", "b")])
def test_everything_behind_a_failure_is_skipped_in_any_input_order(order: tuple[str, ...]) -> None:
    def run(item: Change) -> str:
        if item.name == "a":
            raise UsageError("injected failure")
        return ""

    needs = {key("b"): {key("a")}, key("c"): {key("b")}, key("d"): {key("c")}}
    result = execute([change(name) for name in order], needs, run, parallelism=2)
    statuses = {o.change.name: o.status for o in result.outcomes}
    assert statuses == {"a": Status.FAILED, "b": Status.SKIPPED, "c": Status.SKIPPED, "d": Status.SKIPPED}
