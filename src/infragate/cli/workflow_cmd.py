"""Workflow commands: projects, users, design approval, findings, checklist, gates and launch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table
from rich.text import Text

from infragate.cli import identity, remote, remote_cmds
from infragate.cli.console import emit, err, out, write_bytes_atomically
from infragate.cli.exit_codes import ExitCode
from infragate.cli.render import SEVERITY_STYLE
from infragate.errors import UsageError
from infragate.model import Role
from infragate.policy import Severity
from infragate.reporting import render_compliance_html, render_compliance_pdf
from infragate.settings import load_settings
from infragate.workflow.stages import GATED

if TYPE_CHECKING:  # the store loads SQLAlchemy: each command imports what it uses
    from infragate.workflow.memberships import MembershipChange
    from infragate.workflow.service import GateReport

ENV = typer.Option(..., "--env", "-e", help="The environment.")

project_app = typer.Typer(help="Projects in the store: register one from its design, list them, show status.")
user_app = typer.Typer(help="Users: admins, and each user's roles on each project.")
findings_app = typer.Typer(help="Findings from every run: list, assign, resolve, accept the risk.")
checklist_app = typer.Typer(help="The pre-launch checklist (ICP-5.1–5.3): show it, sign manual items.")
gate_app = typer.Typer(help="Stage gates: what each stage needs before the next one (and launch).")

VERDICT_STYLE = {"met": "green", "unmet": "bold red", "not applicable": "dim"}


def _table_or_json(value: str) -> None:
    if value not in ("table", "json"):
        raise UsageError(f"--format is '{value}'", hint="Use --format table or --format json.")


# -- users --------------------------------------------------------------------------------------------
LOCAL_MODE_NOTE = "local mode: identities are not authenticated (INFRAGATE_USER is taken at its word)"


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="The user name (what INFRAGATE_USER is set to)."),
    admin: bool = typer.Option(False, "--admin", help="Make the user an admin (manages users and memberships)."),
    role: list[Role] = typer.Option(
        [], "--role", help="Only 'admin' (same as --admin): project roles are memberships, see `project members`."
    ),
    email: str = typer.Option("", "--email"),
) -> None:
    """Add a user, or make one an admin (admins only). Roles on projects are memberships, granted with
    `infragate project members add|apply`; the first admin is made with `infragate admin create`.

    Example:

      INFRAGATE_USER=ada.admin@example.com infragate user add sam.sec@example.com
    """
    from infragate.store import open_store
    from infragate.workflow.users import add_user, user_roles

    project_roles = [r for r in role if r is not Role.ADMIN]
    if project_roles:
        raise UsageError(
            f"--role {project_roles[0].value}: roles on projects are memberships, not properties of a user",
            hint=f"infragate project members add {name} --role {project_roles[0].value} --project NAME",
        )
    if (server := remote.connection()) is not None:
        return remote_cmds.user_add(server, name, admin or Role.ADMIN in role, email)
    store = open_store(load_settings())
    add_user(store, identity.current_user(required=False), name, admin=admin or Role.ADMIN in role, email=email)
    (summary,) = user_roles(store, name)
    out.print(f"{summary.name}: {summary.describe()}", markup=False)


@user_app.command("password")
def user_password(name: str = typer.Argument(..., help="Whose password to set.")) -> None:
    """Set or reset a user's password for the dashboard (admins only; the first admin's is set by
    `infragate admin create NAME --password`). Asks twice on a terminal; reads one line from stdin when piped.

    Example:

      INFRAGATE_USER=ada.admin@example.com infragate user password sam.sec@example.com
    """
    from infragate.store import open_store
    from infragate.workflow.accounts import set_password

    if (server := remote.connection()) is not None:
        return remote_cmds.user_password(server, name, read_password())
    set_password(open_store(load_settings()), identity.current_user(), name, read_password())
    out.print(f"password set for {name}", markup=False)


def read_password() -> str:
    import sys

    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = typer.prompt("new password", hide_input=True)
    if typer.prompt("again", hide_input=True) != first:
        raise UsageError("the two passwords differ", hint="Type the same password twice.")
    return str(first)


@user_app.command("list")
def user_list() -> None:
    """List users with their roles: admin, and their memberships by project.

    Example:

      infragate user list
    """
    from infragate.store import open_store
    from infragate.workflow.users import user_roles

    if (server := remote.connection()) is not None:
        return remote_cmds.user_list(server)
    for summary in user_roles(open_store(load_settings())):
        out.print(f"{summary.name}: {summary.describe()}", markup=False)


def whoami() -> None:
    """Show who infragate acts as (INFRAGATE_USER) and the roles that user holds on each project.

    Example:

      INFRAGATE_USER=sam.sec@example.com infragate whoami
    """
    from infragate.store import open_store
    from infragate.workflow.users import user_roles

    if (server := remote.connection()) is not None:
        return remote_cmds.whoami(server)
    name = identity.current_user()
    found = user_roles(open_store(load_settings()), name)
    if not found:
        err.print(
            f"{name} (not a user: an admin or a project's lead adds members, "
            "e.g. `infragate project members apply` for a design's owners)",
            markup=False,
        )
        raise typer.Exit(ExitCode.FINDINGS)
    out.print(f"{found[0].name}: {found[0].describe()}", markup=False)
    err.print(LOCAL_MODE_NOTE, style="dim")


# -- projects -----------------------------------------------------------------------------------------
@project_app.command("init")
def project_init(
    design_file: Path | None = identity.DESIGN,
    apply_members: bool = typer.Option(
        False, "--apply-members", help="Also apply the memberships the design's owners imply (admin or lead)."
    ),
) -> None:
    """Register the project of a design: its environments, checklist, waivers and schedules. The design's
    owners are a proposal: the memberships they imply are shown, and take effect when an admin or the project's
    lead applies them (`--apply-members`, or `infragate project members apply`). Safe to run again.

    Example:

      INFRAGATE_USER=ada.admin@example.com infragate project init -d examples/webshop/infragate.yaml --apply-members
    """
    flow = identity.workflow(design_file, identified=apply_members)
    registered = flow.init_project()
    out.print(f"project {registered.name} ({registered.client}): environments {', '.join(registered.environments)}")
    _print_changes(flow.apply_memberships() if apply_members else registered.proposal, applied=apply_members)


def _print_changes(changes: list[MembershipChange], *, applied: bool) -> None:
    if not changes:
        out.print("  memberships match the design's owners")
        return
    out.print("  memberships applied:" if applied else "  memberships the design's owners propose:")
    for change in changes:
        out.print(f"    {change.describe()}", markup=False)
    if not applied:
        out.print("  an admin or the project's lead applies them: infragate project members apply", markup=False)


members_app = typer.Typer(
    help="Who holds which role on a project: admins change it; a project's lead applies what its design proposes.",
    no_args_is_help=True,
)
project_app.add_typer(members_app, name="members")


@members_app.command("list")
def members_list(design_file: Path | None = identity.DESIGN) -> None:
    """The project's members and their roles, with who granted each; then what the design still proposes.

    Example:

      infragate project members list -p webshop
    """
    if (server := remote.connection()) is not None:
        return remote_cmds.members_list(server, remote_cmds.project_of(design_file))
    flow = identity.workflow(design_file, identified=False)
    for member in flow.members():
        granted = member.granted_at.strftime("%Y-%m-%d")
        out.print(f"{member.role:<10} {member.user}  (granted by {member.granted_by}, {granted})", markup=False)
    pending = flow.proposed_memberships()
    if pending:
        _print_changes(pending, applied=False)


@members_app.command("apply")
def members_apply(design_file: Path | None = identity.DESIGN) -> None:
    """Apply the memberships the design's owners imply (an admin, or the project's lead for others).

    Example:

      INFRAGATE_USER=lena.lead@example.com infragate project members apply -p webshop
    """
    flow = identity.workflow(design_file)
    _print_changes(flow.apply_memberships(), applied=True)


@members_app.command("add")
def members_add(
    name: str = typer.Argument(..., help="The user name."),
    role: Role = typer.Option(..., "--role", help="lead, infra, developer, security or client."),
    design_file: Path | None = identity.DESIGN,
) -> None:
    """Grant a role on the project (admins only; a lead applies the design's owners with `members apply`).

    Example:

      INFRAGATE_USER=ada.admin@example.com infragate project members add kim@client.example --role client -p webshop
    """
    if (server := remote.connection()) is not None:
        return remote_cmds.members_change(server, remote_cmds.project_of(design_file), name, role, grant=True)
    change = identity.workflow(design_file).add_member(name, role)
    out.print(change.describe(), markup=False)


@members_app.command("remove")
def members_remove(
    name: str = typer.Argument(..., help="The user name."),
    role: Role = typer.Option(..., "--role", help="The role to take away."),
    design_file: Path | None = identity.DESIGN,
) -> None:
    """Take a role on the project away (admins only).

    Example:

      INFRAGATE_USER=ada.admin@example.com infragate project members remove dara@example.com --role developer -p webshop
    """
    if (server := remote.connection()) is not None:
        return remote_cmds.members_change(server, remote_cmds.project_of(design_file), name, role, grant=False)
    change = identity.workflow(design_file).remove_member(name, role)
    out.print(change.describe(), markup=False)


@project_app.command("list")
def project_list() -> None:
    """Every project in the store, with the stage of each environment.

    Example:

      infragate project list
    """
    from sqlalchemy import select

    from infragate.store import open_store
    from infragate.store.schema import Project

    if (server := remote.connection()) is not None:
        return remote_cmds.project_list(server)
    with open_store(load_settings()).session() as session:
        for project in session.scalars(select(Project).order_by(Project.name)):
            stages = ", ".join(f"{e.name}: {e.stage}" for e in sorted(project.environments, key=lambda e: e.id))
            out.print(f"{project.name} ({project.client}) — {stages}")


@project_app.command("status")
def project_status(design_file: Path | None = identity.DESIGN) -> None:
    """The stage of every environment and how many criteria its gates still miss.

    Example:

      infragate project status --project webshop
    """
    if (server := remote.connection()) is not None:
        return remote_cmds.project_status(server, remote_cmds.project_of(design_file))
    flow = identity.workflow(design_file, identified=False)
    table = Table(title=f"{flow.design.project.name}", expand=False)
    for column in ("Environment", "Stage", "Unmet criteria", "Next person to act"):
        table.add_column(column)
    attestation = ""
    for env in flow.design.environments:
        report = flow.gate_report(env)
        attestation = report.attestation
        table.add_row(env, report.stage.value, str(len(report.unmet())), report.next_step())
    out.print(table)
    err.print(f"gates: {attestation}; {LOCAL_MODE_NOTE}", markup=False)


# -- approvals ----------------------------------------------------------------------------------------
def approve_design(
    env: str = ENV,
    design_file: Path | None = identity.DESIGN,
    comment: str = typer.Option("", "--comment", "-m"),
    role: Role | None = typer.Option(
        None, "--role", help="lead (approve) or security (review), for someone who holds both [default: lead]."
    ),
    acting_as: str | None = identity.AS,
) -> None:
    """Approve (a lead) or review (security) the design's current digest for an environment (ICP-1.4). The
    approving lead and the reviewing security person must be two people.

    Example:

      INFRAGATE_USER=lena.lead@example.com infragate approve design --env staging -m 'reviewed'
    """
    if (server := remote.connection()) is not None:
        project, digest = remote_cmds.target(design_file, acting_as)
        return remote_cmds.approve_design(server, project, env, comment, role.value if role else None, digest)
    flow = identity.workflow(design_file, acting_as)
    verb = flow.approve_design(env, comment, as_role=role)
    out.print(f"design {flow.design.digest[:19]}… {verb} for {flow.design.project.name}/{env}")


# -- findings -----------------------------------------------------------------------------------------
@findings_app.command("list")
def findings_list(
    design_file: Path | None = identity.DESIGN,
    env: str | None = typer.Option(None, "--env", "-e"),
    include_closed: bool = typer.Option(False, "--all", help="Include fixed, accepted and false-positive ones."),
    output_format: str = typer.Option("table", "--format", "-f", help="table or json"),
) -> None:
    """Findings of the project (open and in progress unless --all), most severe first.

    Examples:

      infragate findings list --env production

      infragate findings list --all --format json
    """
    _table_or_json(output_format)
    if (server := remote.connection()) is not None:
        if include_closed:
            raise UsageError(
                "--all is not available from a server yet", hint="The API lists open and in-progress findings."
            )
        return remote_cmds.findings_list(server, remote_cmds.project_of(design_file), env, output_format)
    flow = identity.workflow(design_file, identified=False)
    rows = sorted(flow.findings(env, include_closed=include_closed), key=lambda f: (-Severity(f.severity).rank, f.id))
    if output_format == "json":
        fields = ("id", "environment", "source", "rule_id", "component", "severity", "status", "title", "message")
        items = [
            {k: getattr(f, k) for k in fields} | {"due_at": f.due_at.isoformat() if f.due_at else None} for f in rows
        ]
        emit(json.dumps(items, indent=2) + "\n", None)
        return
    table = Table(title=f"Findings of {flow.design.project.name}", expand=False)
    for column in ("Id", "Env", "Severity", "Status", "Rule", "Component", "Due", "Message"):
        table.add_column(column, overflow="fold")
    for f in rows:
        severity = Severity(f.severity)
        due = f"{f.due_at:%Y-%m-%d}" if f.due_at else ""
        table.add_row(
            str(f.id),
            f.environment,
            Text(f.severity, style=SEVERITY_STYLE[severity]),
            f.status,
            f.rule_id,
            Text(f.component),  # names and messages are shown literally, never as Rich markup
            due,
            Text(f.message),
        )
    out.print(table)
    err.print(f"{len(rows)} finding(s)")


@findings_app.command("assign")
def findings_assign(
    finding_id: int = typer.Argument(...),
    to: str = typer.Option(..., "--to", help="The user who will fix it."),
    design_file: Path | None = identity.DESIGN,
    acting_as: str | None = identity.AS,
) -> None:
    """Assign a finding to someone (lead or security).

    Example:

      INFRAGATE_USER=lena.lead@example.com infragate findings assign 7 --to dara.dev@example.com
    """
    if (server := remote.connection()) is not None:
        return remote_cmds.finding_assign(server, remote_cmds.project_of(design_file, acting_as), finding_id, to)
    identity.workflow(design_file, acting_as).assign(finding_id, to)
    out.print(f"finding {finding_id} assigned to {to}", markup=False)


@findings_app.command("resolve")
def findings_resolve(
    finding_id: int = typer.Argument(...),
    status: str = typer.Option("fixed", "--status", help="fixed, verified (security, after fixed) or false-positive"),
    note: str = typer.Option(..., "--note", "-m", help="Why: what was done or why it is not a problem."),
    design_file: Path | None = identity.DESIGN,
    acting_as: str | None = identity.AS,
) -> None:
    """Mark a finding fixed, verified or a false positive (high and critical ones, and verifying: security only).

    Examples:

      INFRAGATE_USER=dara.dev@example.com infragate findings resolve 7 --status fixed --note 'port 22 closed'

      INFRAGATE_USER=sam.sec@example.com infragate findings resolve 7 --status verified -m 'retest: closed'
    """
    from infragate.store.findings import FindingStatus

    if status not in ("fixed", "verified", "false-positive"):
        raise UsageError(
            f"--status is '{status}'", hint="Use fixed, verified or false-positive; `findings accept` accepts a risk."
        )
    if (server := remote.connection()) is not None:
        return remote_cmds.finding_resolve(
            server, remote_cmds.project_of(design_file, acting_as), finding_id, status, note
        )
    identity.workflow(design_file, acting_as).resolve(finding_id, FindingStatus(status), note)
    out.print(f"finding {finding_id}: {status}")


@findings_app.command("accept")
def findings_accept(
    finding_id: int = typer.Argument(...),
    note: str = typer.Option(..., "--note", help="Why the risk is accepted, and until when."),
    design_file: Path | None = identity.DESIGN,
    acting_as: str | None = identity.AS,
) -> None:
    """Accept the risk of a finding (lead; high and critical ones: security only).

    Example:

      INFRAGATE_USER=sam.sec@example.com infragate findings accept 9 --note 'accepted until the Q3 migration'
    """
    from infragate.store.findings import FindingStatus

    if (server := remote.connection()) is not None:
        project = remote_cmds.project_of(design_file, acting_as)
        return remote_cmds.finding_resolve(server, project, finding_id, FindingStatus.ACCEPTED_RISK.value, note)
    identity.workflow(design_file, acting_as).resolve(finding_id, FindingStatus.ACCEPTED_RISK, note)
    out.print(f"finding {finding_id}: accepted risk")


# -- checklist ----------------------------------------------------------------------------------------
@checklist_app.command("show")
def checklist_show(env: str = ENV, design_file: Path | None = identity.DESIGN) -> None:
    """Every checklist item: met or not, and by what evidence or whose signature.

    Example:

      infragate checklist show --env production
    """
    if (server := remote.connection()) is not None:
        return remote_cmds.checklist_show(server, remote_cmds.project_of(design_file), env)
    flow = identity.workflow(design_file, identified=False)
    evidence = flow.evidence(env)
    table = Table(title=f"Pre-launch checklist of {flow.design.project.name}/{env}", expand=False)
    for column in ("Item", "Area", "Clause", "Kind", "Role", "Status", "Detail"):
        table.add_column(column, overflow="fold")
    for item in evidence.checklist:
        spec = item.spec
        applicable = not item.detail.startswith("not applicable")
        status = Text("met" if applicable else "not applicable", style="green" if applicable else "dim")
        status = status if item.met else Text("open", style="bold red")
        kind = "automatic" if spec.automatic else "manual"
        table.add_row(spec.key, spec.area, spec.clause, kind, spec.role.value, status, item.detail)
    out.print(table)
    open_items = [i for i in evidence.checklist if not i.met]
    err.print(f"{len(evidence.checklist) - len(open_items)} of {len(evidence.checklist)} items met")
    if open_items:
        raise typer.Exit(ExitCode.FINDINGS)


@checklist_app.command("sign")
def checklist_sign(
    key: str = typer.Argument(..., help="The item, e.g. on-call-tested."),
    env: str = ENV,
    comment: str = typer.Option(..., "--comment", "-m", help="What was checked."),
    design_file: Path | None = identity.DESIGN,
    acting_as: str | None = identity.AS,
) -> None:
    """Sign a manual checklist item (only its role may).

    Example:

      INFRAGATE_USER=ivan.infra@example.com infragate checklist sign on-call-tested --env production -m "paged the rota"
    """
    if (server := remote.connection()) is not None:
        return remote_cmds.checklist_sign(server, remote_cmds.project_of(design_file, acting_as), env, key, comment)
    identity.workflow(design_file, acting_as).sign(env, key, comment)
    out.print(f"{key} signed for {env}")


# -- gates and launch ---------------------------------------------------------------------------------
def show_gates(report: GateReport) -> None:
    title = f"Gates of {report.environment}: current stage {report.stage.value} ({report.attestation})"
    table = Table(title=title, expand=False)
    for column in ("Stage", "Clause", "Criterion", "Status", "Detail", "Accountable"):
        table.add_column(column, overflow="fold")
    for stage in GATED:
        for c in report.results[stage]:
            status = Text(c.verdict, style=VERDICT_STYLE[c.verdict])
            table.add_row(stage.value, c.clause, c.text, status, c.detail, c.role.value)
    out.print(table)
    err.print(f"next: {report.next_step()}", markup=False)


@gate_app.command("check")
def gate_check(
    env: str = ENV,
    design_file: Path | None = identity.DESIGN,
    output_format: str = typer.Option("table", "--format", "-f", help="table (people) or json (machines)"),
) -> None:
    """Evaluate every stage's exit criteria from the evidence; exit 0 only when the environment may launch.

    Examples:

      infragate gate check --env production

      infragate gate check --env staging --format json
    """
    _table_or_json(output_format)
    if (server := remote.connection()) is not None:
        return remote_cmds.gate_check(server, remote_cmds.project_of(design_file), env, output_format)
    report = identity.workflow(design_file, identified=False).gate_report(env)
    if output_format == "json":
        stages = {
            stage.value: [
                {
                    "clause": c.clause,
                    "criterion": c.text,
                    "met": c.met,
                    "verdict": c.verdict,
                    "detail": c.detail,
                    "role": c.role.value,
                }
                for c in report.results[stage]
            ]
            for stage in GATED
        }
        document = {"environment": env, "stage": report.stage.value, "attestation": report.attestation, "gates": stages}
        emit(json.dumps(document, indent=2) + "\n", None)
    else:
        show_gates(report)
    if report.unmet():
        raise typer.Exit(ExitCode.FINDINGS)


def launch(env: str = ENV, design_file: Path | None = identity.DESIGN, acting_as: str | None = identity.AS) -> None:
    """Launch an environment: a lead's decision, allowed only when every gate holds.

    Example:

      INFRAGATE_USER=lena.lead@example.com infragate launch --env production
    """
    if (server := remote.connection()) is not None:
        return remote_cmds.launch(server, remote_cmds.project_of(design_file, acting_as), env)
    report = identity.workflow(design_file, acting_as).launch(env)
    out.print(f"{env} launched (stage {report.stage.value})")


def report(
    env: str = ENV,
    design_file: Path | None = identity.DESIGN,
    output_format: str = typer.Option(
        "html", "--format", "-f", help="html (people), pdf (printing) or json (machines)"
    ),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="Where to write it; '-' for stdout (default: $INFRAGATE_HOME/reports/<project>-<env>.<format>).",
    ),
) -> None:
    """The compliance report of an environment: every policy clause met, unmet or waived, with its evidence,
    open findings by severity, and the non-compliance list with who is accountable (ICP-6.1).

    Examples:

      infragate report --env staging -d examples/webshop/infragate.yaml

      infragate report --env production --format pdf -o production.pdf

      infragate report --env staging --format json -o - | jq .summary
    """
    from infragate.workflow.report import compliance_report

    if output_format not in ("html", "pdf", "json"):
        raise UsageError(f"--format is '{output_format}'", hint="Use html, pdf or json.")
    if (server := remote.connection()) is not None:
        return remote_cmds.report(server, remote_cmds.project_of(design_file), env, output_format, output)
    flow = identity.workflow(design_file, identified=False)
    data = compliance_report(flow, env)
    if output is None:  # a report is a file people open, not a page of HTML in the terminal
        folder = load_settings().home / "reports"
        folder.mkdir(parents=True, exist_ok=True)
        output = folder / f"{flow.design.project.name}-{env}.{output_format}"
    to_stdout = str(output) == "-"
    if to_stdout and output_format == "pdf":
        raise UsageError("a PDF report cannot go to the terminal", hint="Write it to a file: -o report.pdf")
    # Reports list open findings and who is accountable: written for their owner's eyes only.
    if output_format == "json":
        emit(json.dumps(data, indent=2) + "\n", None if to_stdout else output, private=True)
    elif output_format == "html":
        emit(render_compliance_html(data), None if to_stdout else output, private=True)
    else:
        write_bytes_atomically(output, render_compliance_pdf(data), private=True)
    summary = data["summary"]
    err.print(
        f"{data['project']}/{env}: stage {data['stage']}, clauses {summary['clauses']['met']} met / "
        f"{summary['clauses']['unmet']} unmet / {summary['clauses']['waived']} waived"
    )
    if not to_stdout:
        out.print(f"report: {output}")
