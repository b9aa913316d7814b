"""Webhook deliveries from GitHub and CircleCI, verified and read into what a deployment record needs.

A delivery is trusted only when its signature verifies with the configured secret. Neither service signs a
timestamp, so a delivery is also refused when the event it reports is older than ``max_age`` (stale), and the
workflow refuses one whose delivery id or signed body it has seen before (a replay).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from infragate.cicd.signatures import circleci_valid, github_valid
from infragate.errors import WebhookRejectedError

FUTURE_SKEW = timedelta(minutes=5)
EVENTS = {"github": ("deployment_status", "ping"), "circleci": ("job-completed", "workflow-completed")}


@dataclass(frozen=True)
class CiJob:
    """What CircleCI reported: a job of a workflow (``job`` None for workflow-completed) and how it ended."""

    workflow_id: str
    workflow_name: str
    workflow_url: str
    job: str | None
    status: str
    sha: str
    branch: str
    actor: str


@dataclass(frozen=True)
class GitHubDeployment:
    """A deployment status GitHub reported."""

    deployment_id: int
    environment: str
    state: str
    sha: str
    ref: str
    url: str
    actor: str
    workflow_id: str  # from the deployment's payload, when infragate created it for a pipeline step


@dataclass(frozen=True)
class Delivery:
    provider: str  # github, circleci
    delivery_id: str
    event: str
    body_digest: str
    repository: str  # GitHub owner/name, or CircleCI's project slug
    happened_at: datetime
    facts: CiJob | GitHubDeployment | None  # None: an event with nothing to record (a ping)


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _get(data: object, *path: str) -> object:
    """The value at ``path`` in a JSON document, or None where any step is missing or not an object."""
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _text(*values: object) -> str:
    """The first value that is set, as text ("" when none is)."""
    return next((str(value) for value in values if value), "")


def _number(value: object) -> int:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else 0


def _fresh(happened: datetime | None, now: datetime, max_age: timedelta, what: str) -> datetime:
    if happened is None:
        raise WebhookRejectedError(f"the {what} delivery says nothing about when it happened", hint="Not recorded.")
    if happened < now - max_age or happened > now + FUTURE_SKEW:
        raise WebhookRejectedError(
            f"the {what} delivery is stale: it reports an event of {happened:%Y-%m-%d %H:%M} UTC",
            hint=f"Only events of the last {int(max_age.total_seconds() // 60)} minutes are recorded; a redelivery "
            "of an old event is refused.",
        )
    return happened


def _body(body: bytes, what: str) -> dict[str, object]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise WebhookRejectedError(f"the {what} delivery is not JSON") from None
    if not isinstance(data, dict):
        raise WebhookRejectedError(f"the {what} delivery is not a JSON object")
    return data


def _refused_signature(service: str, header: str, given: str | None, setting: str) -> WebhookRejectedError:
    what = f"'s {header} does not verify" if given else f" is not signed (no {header})"
    return WebhookRejectedError(
        f"the {service} delivery{what}", hint=f"Set the webhook's signing secret in {service} to {setting}."
    )


def read_github(headers: dict[str, str], body: bytes, secret: str, now: datetime, max_age: timedelta) -> Delivery:
    """A verified GitHub delivery (``headers`` with lower-case names)."""
    given = headers.get("x-hub-signature-256")
    if not github_valid(secret, body, given):
        raise _refused_signature("GitHub", "X-Hub-Signature-256", given, "INFRAGATE_GITHUB_WEBHOOK_SECRET")
    event, delivery_id = headers.get("x-github-event", ""), headers.get("x-github-delivery", "")
    if event not in EVENTS["github"] or not delivery_id:
        raise WebhookRejectedError(
            f"GitHub event '{event}' is not one infragate records", hint="Send deployment_status events only."
        )
    data = _body(body, "GitHub")
    digest = hashlib.sha256(body).hexdigest()
    repository = _text(_get(data, "repository", "full_name"))
    if event == "ping":
        return Delivery("github", delivery_id, event, digest, repository, now, None)
    status, deployment = _get(data, "deployment_status"), _get(data, "deployment")
    changed = _get(status, "updated_at") or _get(status, "created_at")
    happened = _fresh(_parse_time(changed), now, max_age, "GitHub")
    payload = _get(deployment, "payload")
    facts = GitHubDeployment(
        deployment_id=_number(_get(deployment, "id")),
        environment=_text(_get(status, "environment"), _get(deployment, "environment")),
        state=_text(_get(status, "state")),
        sha=_text(_get(deployment, "sha")),
        ref=_text(_get(deployment, "ref")),
        url=_text(_get(status, "log_url"), _get(status, "target_url")),
        actor=_text(_get(payload, "reported_by"), _get(deployment, "creator", "login"), _get(data, "sender", "login")),
        workflow_id=_text(_get(payload, "circleci_workflow")),
    )
    return Delivery("github", delivery_id, event, digest, repository, happened, facts)


def read_circleci(headers: dict[str, str], body: bytes, secret: str, now: datetime, max_age: timedelta) -> Delivery:
    """A verified CircleCI delivery (``headers`` with lower-case names)."""
    given = headers.get("circleci-signature")
    if not circleci_valid(secret, body, given):
        raise _refused_signature("CircleCI", "circleci-signature (v1)", given, "INFRAGATE_CIRCLECI_WEBHOOK_SECRET")
    data = _body(body, "CircleCI")
    event = _text(data.get("type"), headers.get("circleci-event-type"))
    delivery_id = _text(data.get("id"))
    if event not in EVENTS["circleci"] or not delivery_id:
        raise WebhookRejectedError(f"CircleCI event '{event}' is not one infragate records")
    happened = _fresh(_parse_time(data.get("happened_at")), now, max_age, "CircleCI")
    workflow, pipeline = data.get("workflow"), data.get("pipeline")
    job = data.get("job") if event == "job-completed" else None
    vcs = _get(pipeline, "vcs")
    facts = CiJob(
        workflow_id=_text(_get(workflow, "id")),
        workflow_name=_text(_get(workflow, "name")),
        workflow_url=_text(_get(workflow, "url")),
        job=_text(_get(job, "name")) or None,
        status=_text(_get(job, "status") if isinstance(job, dict) and job else _get(workflow, "status")),
        sha=_text(_get(vcs, "revision")),
        branch=_text(_get(vcs, "branch")),
        actor=_text(
            _get(pipeline, "trigger_parameters", "circleci", "actor_login"), _get(vcs, "commit", "author", "name")
        ),
    )
    digest = hashlib.sha256(body).hexdigest()
    return Delivery("circleci", delivery_id, event, digest, _text(_get(data, "project", "slug")), happened, facts)


def same_circleci_project(slug: str, declared: str) -> bool:
    """CircleCI spells GitHub projects gh/… or github/…; both name the same project."""

    def norm(value: str) -> str:
        value = value.lower()
        return "gh/" + value[len("github/") :] if value.startswith("github/") else value

    return norm(slug) == norm(declared)
