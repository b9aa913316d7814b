"""A job that runs to its end can still find the environment wanting: what `jobs submit --wait` (a pipeline
step) reads from its result to fail too."""

from __future__ import annotations

from typing import Any

import pytest

from infragate.workflow.jobs_model import JobResult


@pytest.mark.parametrize(
    ("result", "said"),
    [
        ({"passed": False, "missed": ["p95"]}, "its verdict failed (missed p95)"),  # stress
        ({"passed": False, "failing": 0, "checks": 21}, "its verdict failed"),  # tests: nothing judged is no pass
        ({"complete": False, "uncovered": ["https://x (error: refused)"]}, "the scan was incomplete: https://x"),
        ({"complete": True, "new_severe": 2}, "2 new high or critical finding(s)"),
        ({"aligned": False, "differs": ["ec2:web"]}, "the live setup differs from the design: ec2:web"),
        ({"failing": 3, "new_severe": 0}, "3 check(s) failing or unreadable"),  # audit
    ],
)
def test_a_failed_verdict_is_named(result: dict[str, Any], said: str) -> None:
    found = JobResult.model_validate(result).verdict_failed()
    assert found is not None and found.startswith(said)


@pytest.mark.parametrize(
    "result",
    [
        {"passed": True, "missed": [], "requests": 1049},
        {"complete": True, "uncovered": [], "counts": {"low": 2}, "new_severe": 0},
        {"aligned": True, "differs": []},
        {"failing": 0, "new_severe": 0},
        {"outcomes": {"done": 22}, "succeeded": True},  # an apply has no verdict of this kind
    ],
)
def test_a_held_verdict_is_not_a_failure(result: dict[str, Any]) -> None:
    assert JobResult.model_validate(result).verdict_failed() is None
