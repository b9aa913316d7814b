"""The command table: each top-level command, where it lives, its help panel and one-line summary.

Commands load lazily: ``infragate --help`` lists them from this table without importing their modules (which
build the design and policy models), and a command's module is imported only when it runs or shows its own
help. A test checks that every summary here matches the command's own help."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:  # the click Typer vendors, whose types its classes take
    from typer._click import Command as ClickCommand
    from typer._click import Context as ClickContext
    from typer._click import HelpFormatter

MAIN, DESIGN, AWS, PEOPLE, TOOLS = "The main job", "Design", "AWS", "Workflow and people", "Store and tools"


@dataclass(frozen=True)
class Entry:
    module: str  # infragate.cli.<module>
    attribute: str  # a command function, or a Typer sub-app
    panel: str
    summary: str


def _entry(module: str, attribute: str, panel: str, summary: str) -> Entry:
    return Entry(f"infragate.cli.{module}", attribute, panel, summary)


COMMANDS: dict[str, Entry] = {
    "run": _entry(
        "run_cmd",
        "run",
        MAIN,
        "Run every automated stage of the policy for one environment, in order, and stop at the first gate that "
        "needs a person, saying who must do what.",
    ),
    "design": _entry(
        "design_cmd",
        "app",
        DESIGN,
        "Design files: validate them against the policy, document them with diagrams, print their schema.",
    ),
    "rules": _entry("rules_cmd", "app", DESIGN, "The policy rule catalog."),
    "plan": _entry(
        "provision_cmd",
        "plan",
        AWS,
        "Show what apply would change so that AWS matches the design: create, update, replace, delete.",
    ),
    "apply": _entry(
        "provision_cmd",
        "apply",
        AWS,
        "Create, change and delete AWS resources so that the environment matches its design.",
    ),
    "verify": _entry(
        "provision_cmd",
        "verify",
        AWS,
        "Check that the live environment matches its design (ICP-2.3) and that Shield covers every public EC2 "
        "instance in the account (ICP-4.2).",
    ),
    "destroy": _entry(
        "provision_cmd",
        "destroy",
        AWS,
        "Delete everything the project owns in the environment, in reverse dependency order.",
    ),
    "audit": _entry("audit_cmd", "audit", AWS, "Inventory a live AWS account and check it against the policy rules."),
    "test": _entry(
        "test_cmd",
        "test",
        AWS,
        "Test the environment's infrastructure (ICP-3.2): every declared endpoint over HTTP/1.1 and HTTP/2 "
        "(status, redirect to HTTPS, health path, security headers, no version banner), its TLS with SSLyze, DNS "
        "records and exposed ports on real AWS, and the design's own `tests:`.",
    ),
    "stress": _entry(
        "stress_cmd",
        "app",
        AWS,
        "Stress tests (ICP-3.3): Locust against the environment's declared endpoints, exact percentiles, and SLO "
        "verdicts at the design's peak load.",
    ),
    "scan": _entry(
        "scan_cmd",
        "app",
        AWS,
        "OWASP scans (ICP-4.1): wapiti and infragate's own checks against the environment's declared endpoints.",
    ),
    "cicd": _entry(
        "cicd_cmd",
        "app",
        AWS,
        "Deployments through CircleCI and GitHub (ICP-3.1): write the policy's pipeline, check a repository and its "
        "GitHub settings against it, set GitHub up, and see the deployments webhooks recorded.",
    ),
    "pentest": _entry(
        "pentest_cmd",
        "app",
        PEOPLE,
        "Pentests on request (ICP-4.3): an engagement per environment, from the request through the scope "
        "document, the window, the vendor's report and findings, to closing after the retest.",
    ),
    "drill": _entry("drill_cmd", "app", AWS, "Restore drills (ICP-5.2): prove a backup restores, and how fast."),
    "compliance": _entry(
        "compliance_cmd",
        "app",
        PEOPLE,
        "Compliance frameworks (ICP-5.3): CIS AWS, PCI DSS, HIPAA, SOC 2 and the policy itself, judged from "
        "evidence, with manual requirements signed by security.",
    ),
    "workload": _entry(
        "workload_cmd",
        "app",
        AWS,
        "Workloads: serve an embedded environment's application on 127.0.0.1 (the design's `workload:`), with "
        "TLS from a local CA only that environment trusts.",
    ),
    "aws-local": _entry(
        "aws_local_cmd",
        "app",
        AWS,
        "Embedded AWS: a local AWS emulator (moto server) on 127.0.0.1 for environments with `aws: embedded`.",
    ),
    "lock": _entry(
        "lock_cmd", "app", AWS, "Environment locks: one writer (apply, destroy, run) per environment at a time."
    ),
    "jobs": _entry(
        "jobs_cmd",
        "app",
        AWS,
        "Jobs: verify, audit, drift (verify + audit) and apply, run by workers; their state, logs and cancellation.",
    ),
    "worker": _entry("jobs_cmd", "worker", AWS, "Run jobs from the queue and fire schedules, until Ctrl-C."),
    "project": _entry(
        "workflow_cmd",
        "project_app",
        PEOPLE,
        "Projects in the store: register one from its design, list them, show status.",
    ),
    "approve": _entry(
        "approve_cmd",
        "app",
        PEOPLE,
        "Decisions of people (ICP-1.4): approve a design, a plan, a stress plan or a GitHub plan.",
    ),
    "gate": _entry(
        "workflow_cmd", "gate_app", PEOPLE, "Stage gates: what each stage needs before the next one (and launch)."
    ),
    "checklist": _entry(
        "workflow_cmd", "checklist_app", PEOPLE, "The pre-launch checklist (ICP-5.1–5.3): show it, sign manual items."
    ),
    "findings": _entry(
        "workflow_cmd", "findings_app", PEOPLE, "Findings from every run: list, assign, resolve, accept the risk."
    ),
    "launch": _entry(
        "workflow_cmd",
        "launch",
        PEOPLE,
        "Launch an environment: a lead's decision, allowed only when every gate holds.",
    ),
    "report": _entry(
        "workflow_cmd",
        "report",
        PEOPLE,
        "The compliance report of an environment: every policy clause met, unmet or waived, with its evidence, "
        "open findings by severity, and the non-compliance list with who is accountable (ICP-6.1).",
    ),
    "user": _entry(
        "workflow_cmd",
        "user_app",
        PEOPLE,
        "Users: admins, and each user's roles on each project.",
    ),
    "admin": _entry(
        "admin_cmd",
        "app",
        PEOPLE,
        "Bootstrap on the host that holds the store: make the first admin (audit-logged with the host account).",
    ),
    "whoami": _entry(
        "workflow_cmd",
        "whoami",
        PEOPLE,
        "Show who infragate acts as (INFRAGATE_USER) and the roles that user holds on each project.",
    ),
    "daemon": _entry(
        "daemon_cmd",
        "app",
        TOOLS,
        "The warm CLI daemon: keeps infragate's libraries and AWS service models loaded, so commands in this "
        "INFRAGATE_HOME start in a fraction of the time.",
    ),
    "login": _entry(
        "login_cmd",
        "login",
        PEOPLE,
        "Log in to an infragate server (team mode): exchange your password for a personal API token, kept in your "
        "config file (readable by you only).",
    ),
    "logout": _entry("login_cmd", "logout", PEOPLE, "Forget the server login and return to local mode."),
    "serve": _entry(
        "serve_cmd",
        "serve",
        PEOPLE,
        "Run the infragate server: the API (/api/v1, OpenAPI at /api/docs) and the dashboard, on the store of "
        "INFRAGATE_DATABASE_URL (PostgreSQL for teams).",
    ),
    "db": _entry("store_cmd", "db_app", TOOLS, "The store (SQLite by default, PostgreSQL via INFRAGATE_DATABASE_URL)."),
    "audit-log": _entry(
        "store_cmd",
        "log_app",
        TOOLS,
        "The append-only audit log: hash-chained, and its head signed with a key kept outside the database.",
    ),
}


def load(name: str) -> ClickCommand:
    """The real click command for ``name``, importing its module."""
    entry = COMMANDS[name]
    target = getattr(importlib.import_module(entry.module), entry.attribute)
    if isinstance(target, typer.Typer):
        group = typer.main.get_group(target)
        group.name = name
        group.rich_help_panel = entry.panel
        return group
    single = typer.Typer()
    single.command(name, rich_help_panel=entry.panel)(target)
    return typer.main.get_command(single)


class LazyGroup(TyperGroup):
    """The root group: lists commands from the table, loads one only when it is used."""

    _listing = False

    def list_commands(self, ctx: ClickContext) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: ClickContext, cmd_name: str) -> ClickCommand | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        if self._listing:  # the root's --help: a summary is all it shows
            return TyperCommand(cmd_name, help=entry.summary, rich_help_panel=entry.panel)
        return load(cmd_name)

    def format_help(self, ctx: ClickContext, formatter: HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False
