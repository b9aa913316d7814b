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
from infragate.workflow.bus import handles
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.deployments import Deployments, Receipt, seen_of
from infragate.workflow.messages import Command, Http
from infragate.workflow.project import ProjectWork
from infragate.workflow.registration import design_at

PROVIDERS = ("github", "circleci")
API_TIMEOUT_S = 4.0  # CircleCI gives up on a delivery after about 5 s (and retries it: a replay, refused)


class ReceiveWebhook(Command[Receipt]):
    """One signed delivery from GitHub or CircleCI (``headers`` with lower-case names). No person is behind
    it: what makes it evidence is its signature, checked before anything is written."""

    http = Http("POST", "/webhooks/{provider}", tag="webhooks", custom=True)
    provider: str
    headers: dict[str, str]
    body: bytes


@handles(ReceiveWebhook)
def receive_webhook(command: ReceiveWebhook, caller: Caller, uow: UnitOfWork) -> Receipt:
    """Refused with ``WebhookRejectedError`` (401) when unsigned, forged, stale or unknown and with
    ``DuplicateDeliveryError`` (409) for a replay; both audit-logged."""
    circleci = CircleCI.from_environment(timeout=API_TIMEOUT_S)
    try:
        return receive(uow, command.provider, command.headers, command.body, circleci=circleci)
    finally:
        if circleci is not None:
            circleci.api.close()  # one client per delivery: its connections go with it


def receive(
    uow: UnitOfWork,
    provider: str,
    headers: dict[str, str],
    body: bytes,
    *,
    circleci: CircleCI | None = None,
    now: datetime | None = None,
) -> Receipt:
    """Take one delivery (``headers`` with lower-case names)."""
    store, settings = uow.store, uow.settings
    actor = f"{provider}-webhook"
    try:
        delivery = _verified(settings, provider, headers, body, now or datetime.now(UTC))
        design = _design_for(store, delivery)
        if design is None:
            with store.session() as session:
                remember(session, seen_of(delivery, None))
            detail = f"no project's design declares the repository '{delivery.repository}'"
            return Receipt(project="", outcome="ignored", detail=detail)
        work = ProjectWork(uow, design, Caller(actor, via="webhook"))
        return Deployments(work).take_delivery(delivery, circleci)
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
