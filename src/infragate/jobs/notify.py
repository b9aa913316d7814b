"""Telling the accountable people (ICP-6.1) through Apprise: e-mail, Slack, Teams, webhooks, … — the URLs
a design lists per role under ``project.notify``."""

from __future__ import annotations

from collections.abc import Iterable

from infragate.design import Design
from infragate.model import Role


def notify(design: Design, roles: Iterable[Role], title: str, body: str) -> list[str]:
    """Send one message to every target of these roles; the targets that were told (none when no role of
    these has a target, or delivery failed)."""
    import apprise  # loaded only when there is something to say

    targets = list(dict.fromkeys(url for role in roles for url in design.project.notify.get(role, ())))
    if not targets:
        return []
    sender = apprise.Apprise()
    for url in targets:
        sender.add(url)
    return targets if sender.notify(title=title, body=body) else []
