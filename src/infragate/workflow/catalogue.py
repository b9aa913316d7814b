"""Every use-case the application layer offers, for the front ends that list them (the API makes a route of
each command that declares ``http``). A new use-case module is added to ``MODULES``."""

from __future__ import annotations

import importlib

from infragate.workflow.messages import AnyCommand, Command

MODULES = (
    "infragate.workflow.accounts",
    "infragate.workflow.approvals",
    "infragate.workflow.audit_trail",
    "infragate.workflow.audits",
    "infragate.workflow.cicd_work",
    "infragate.workflow.deployments",
    "infragate.workflow.design_review",
    "infragate.workflow.documents",
    "infragate.workflow.drills",
    "infragate.workflow.gatekeeping",
    "infragate.workflow.infra_testing",
    "infragate.workflow.job_requests",
    "infragate.workflow.job_running",
    "infragate.workflow.locking",
    "infragate.workflow.memberships",
    "infragate.workflow.pentests",
    "infragate.workflow.pipeline",
    "infragate.workflow.portfolio",
    "infragate.workflow.provisioning",
    "infragate.workflow.report",
    "infragate.workflow.scanning",
    "infragate.workflow.signoffs",
    "infragate.workflow.stress_testing",
    "infragate.workflow.triage",
    "infragate.workflow.users",
    "infragate.workflow.webhook_intake",
)


def commands() -> list[type[AnyCommand]]:
    """Every command class, in a stable order (its module, then its name)."""
    for name in MODULES:
        importlib.import_module(name)
    found: list[type[AnyCommand]] = []
    pending = list(Command.__subclasses__())
    while pending:
        klass = pending.pop()
        pending += klass.__subclasses__()
        if klass.handler is not None and klass not in found:
            found.append(klass)
    return sorted(found, key=lambda klass: (klass.__module__, klass.__name__))
