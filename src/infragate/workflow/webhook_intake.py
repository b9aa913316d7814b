"""Where webhook deliveries enter: verified (or refused, audit-logged), routed to the project whose design
declares the repository, kept once, and recorded as deployments (``deployments.Deployments``).

No person is behind a delivery: the audit log names ``github-webhook`` or ``circleci-webhook``; what makes it
evidence is the signature, checked here before anything is written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from infragate.cicd.circleci import CircleCI
from infragate.cicd.webhooks import Delivery, read_circleci, read_github, same_circleci_project
from infragate.design import Design
from infragate.errors import DuplicateDeliveryError, UsageError, WebhookRejectedError
from infragate.settings import Settings
from infragate.store import Store, audit_log
from infragate.store.deliveries import remember
from infragate.store.schema import Project
from infragate.workflow.deployments import Receipt, seen_of
from infragate.workflow.portfolio import design_at
from infragate.workflow.service import Workflow

PROVIDERS = ("github", "circleci")


def receive(
    store: Store,
    settings: Settings,
    provider: str,
    headers: dict[str, str],
    body: bytes,
    *,
    circleci: CircleCI | None = None,
    now: datetime | None = None,
) -> Receipt:
    """Take one delivery (``headers`` with lower-case names). Raises ``WebhookRejectedError`` (401) for an
    unsigned, forged, stale or unknown one and ``DuplicateDeliveryError`` (409) for a replay; both logged."""
    actor = f"{provider}-webhook"
    try:
        delivery = _verified(settings, provider, headers, body, now or datetime.now(UTC))
        design = _design_for(store, delivery)
        if design is None:
            with store.session() as session:
                remember(session, seen_of(delivery, None))
            return Receipt("", "ignored", f"no project's design declares the repository '{delivery.repository}'")
        return Workflow(store, design, actor).take_delivery(delivery, circleci)
    except (WebhookRejectedError, DuplicateDeliveryError) as refused:
        with store.session() as session:
            audit_log.append(
                session,
                actor,
                "webhook-refused",
                provider,
                {"reason": refused.message, "delivery": headers.get("x-github-delivery", "")[:128]},
            )
        raise


def _verified(settings: Settings, provider: str, headers: dict[str, str], body: bytes, now: datetime) -> Delivery:
    max_age = timedelta(minutes=settings.webhook_max_age_minutes)
    if provider == "github":
        if not settings.github_webhook_secret:
            raise WebhookRejectedError(
                "this server takes no GitHub webhooks", hint="Set INFRAGATE_GITHUB_WEBHOOK_SECRET on the server."
            )
        return read_github(headers, body, settings.github_webhook_secret, now, max_age)
    if provider == "circleci":
        if not settings.circleci_webhook_secret:
            raise WebhookRejectedError(
                "this server takes no CircleCI webhooks", hint="Set INFRAGATE_CIRCLECI_WEBHOOK_SECRET on the server."
            )
        return read_circleci(headers, body, settings.circleci_webhook_secret, now, max_age)
    raise WebhookRejectedError(f"no webhooks from '{provider}'", hint=f"Use one of {', '.join(PROVIDERS)}.")


def _design_for(store: Store, delivery: Delivery) -> Design | None:
    """The design of the project whose repository sent the delivery (designs that do not load are skipped)."""
    with store.session() as session:
        paths = list(session.scalars(select(Project.design_path)))
    for path in paths:
        try:
            design = design_at(path)
        except UsageError:
            continue
        repository = design.project.repository
        if repository is None:
            continue
        if delivery.provider == "github" and repository.github.lower() == delivery.repository.lower():
            return design
        if delivery.provider == "circleci" and same_circleci_project(delivery.repository, repository.slug):
            return design
    return None
