"""Workflow commands: projects, users, design approval, findings, checklist, gates and launch.

Each builds a command, runs it through the client (local store or server) and renders the result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table
from rich.text import Text

from infragate.cli import identity
from infragate.cli.client import every, for_design, note, open_client
from infragate.cli.console import emit, err, out, write_bytes_atomically
from infragate.cli.exit_codes import ExitCode
from infragate.cli.render import SEVERITY_STYLE
from infragate.errors import UsageError
from infragate.model import Role
from infragate.policy import Severity

if TYPE_CHECKING:
    from infragate.workflow.gatekeeping import GateReport
    from infragate.workflow.memberships import MembershipChange

ENV = typer.Option(..., "--env", "-e", help="The environment.")

project_app = typer.Typer(help="Projects in the store: register one from its design, list them, show status.")
user_app = typer.Typer(help="Users: admins, and each user's roles on each project.")
findings_app = typer.Typer(help="Findings from every run: list, assign, resolve, accept the risk.")
checklist_app = typer.Typer(help="The pre-launch checklist (ICP-5.1–5.3): show it, sign manual items.")
gate_app = typer.Typer(help="Stage gates: what each stage needs before the next one (and launch).")

VERDICT_STYLE = {"met": "green", "unmet": "bold red", "not applicable": "dim"}
LOCAL_MODE_NOTE = "local mode: identities are not authenticated (INFRAGATE_USER is taken at its word)"


def _table_or_json(value: str) -> None:
    if value not in ("table", "json"):
        raise UsageError(f"--format is '{value}'", hint="Use --format table or --format json.")


# -- users --------------------------------------------------------------------------------------------
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
    from infragate.workflow.users import AddUser

    project_roles = [r for r in role if r is not Role.ADMIN]
    if project_roles:
        raise UsageError(
            f"--role {project_roles[0].value}: roles on projects are memberships, not properties of a user",
            hint=f"infragate project members add {name} --role {project_roles[0].value} --project NAME",
        )
    made = open_client().execute(AddUser(name=name, admin=admin or Role.ADMIN in role, email=email))
    out.print(f"{made.name}: {made.describe()}", markup=False)


@user_app.command("password")
def user_password(name: str = typer.Argument(..., help="Whose password to set.")) -> None:
    """Set or reset a user's password for the dashboard (admins only; the first admin's is set by
    `infragate admin create NAME --password`). Asks twice on a terminal; reads one line from stdin when piped.

    Example:

      INFRAGATE_USER=ada.admin@example.com infragate user password sam.sec@example.com
    """
    from infragate.workflow.accounts import SetPassword

    open_client().execute(SetPassword(name=name, password=read_password()))
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
    from infragate.workflow.users import ListUsers

    client = open_client()
    for user in client.execute(ListUsers()):
        out.print(f"{user.name}: {user.describe()}", markup=False)
    note(client)


def whoami() -> None:
    """Show who infragate acts as (INFRAGATE_USER) and the roles that user holds on each project.

    Example:

      INFRAGATE_USER=sam.sec@example.com infragate whoami
    """
    from infragate.workflow.users import WhoAmI

    client = open_client()
    me = client.execute(WhoAmI())
    if not me.known:
        err.print(
            f"{me.name} (not a user: an admin or a project's lead adds members, "
            "e.g. `infragate project members apply` for a design's owners)",
            markup=False,
        )
        raise typer.Exit(ExitCode.FINDINGS)
    roles = [f"{project}: {', '.join(held)}" for project, held in sorted(me.projects.items())]
    out.print(
        f"{me.name}: {'; '.join((['admin'] if me.admin else []) + roles) or 'no role on any project'}", markup=False
    )
    said = f"{client.where}, authenticated by its {me.via}" if client.where else LOCAL_MODE_NOTE
    err.print(said, style="dim", markup=False)


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
    from infragate.workflow.memberships import RegisterProject

    client, chosen = for_design(design_file)
    registered = client.execute(RegisterProject(project=chosen.project, apply_members=apply_members))
    out.print(f"project {registered.name} ({registered.client}): environments {', '.join(registered.environments)}")
    _print_changes(registered.proposal, applied=registered.applied)


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
    from infragate.workflow.memberships import ListMembers, ProposedMemberships

    client, chosen = for_design(design_file)
    for member in client.execute(ListMembers(project=chosen.project)):
        granted = member.granted_at.strftime("%Y-%m-%d")
        out.print(f"{member.role:<10} {member.user}  (granted by {member.granted_by}, {granted})", markup=False)
    pending = list(client.execute(ProposedMemberships(project=chosen.project)))
    if pending:
        _print_changes(pending, applied=False)
    note(client)


@members_app.command("apply")
def members_apply(design_file: Path | None = identity.DESIGN) -> None:
    """Apply the memberships the design's owners imply (an admin, or the project's lead for others).

    Example:

      INFRAGATE_USER=lena.lead@example.com infragate project members apply -p webshop
    """
    from infragate.workflow.memberships import ApplyMemberships

    client, chosen = for_design(design_file)
    _print_changes(list(client.execute(ApplyMemberships(project=chosen.project))), applied=True)


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
    from infragate.workflow.memberships import AddMember

    client, chosen = for_design(design_file)
    out.print(client.execute(AddMember(project=chosen.project, user=name, role=role)).describe(), markup=False)


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
    from infragate.workflow.memberships import RemoveMember

    client, chosen = for_design(design_file)
    out.print(client.execute(RemoveMember(project=chosen.project, user=name, role=role)).describe(), markup=False)


@project_app.command("list")
def project_list() -> None:
    """Every project you may see, with the stage of each environment.

    Example:

      infragate project list
    """
    from infragate.workflow.portfolio import Portfolio, PortfolioRow

    client = open_client()
    by_project: dict[str, list[PortfolioRow]] = {}
    for row in every(client, Portfolio()):
        by_project.setdefault(row.project, []).append(row)
    for project, environments in sorted(by_project.items()):
        stages = ", ".join(f"{e.environment}: {e.stage}" for e in environments)
        out.print(f"{project} ({environments[0].client}) — {stages}", markup=False)
    note(client)


@project_app.command("status")
def project_status(design_file: Path | None = identity.DESIGN) -> None:
    """The stage of every environment and how many criteria its gates still miss.

    Example:

      infragate project status --project webshop
    """
    from infragate.workflow.portfolio import GetProjectStatus

    client, chosen = for_design(design_file)
    status = client.execute(GetProjectStatus(project=chosen.project))
    if chosen.design is None:  # named by the project: say which design it was judged from
        err.print(f"design: {status.design} (project {status.project})", markup=False)
    table = Table(title=status.project, expand=False)
    for column in ("Environment", "Stage", "Unmet criteria", "Next person to act"):
        table.add_column(column)
    for row in status.environments:
        table.add_row(row.environment, row.stage, str(row.unmet), Text(row.next_step))
    out.print(table)
    err.print(f"gates: {status.attestation}; {client.where or LOCAL_MODE_NOTE}", markup=False)


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
    approving lead and the reviewing security person must be two people. With a design file, the digest you
    approve is that file's: if the project's design is another, nothing is approved.

    Example:

      INFRAGATE_USER=lena.lead@example.com infragate approve design --env staging -m 'reviewed'
    """
    from infragate.workflow.approvals import ApproveDesign

    client, chosen = for_design(design_file, acting_as=acting_as)
    decided = client.execute(
        ApproveDesign(project=chosen.project, environment=env, comment=comment, role=role, digest=chosen.digest)
    )
    if decided.changed_since:
        out.print(f"changed since {decided.approved_by} approved {decided.changed_since[:19]}…:", markup=False)
        for line in decided.diff:
            out.print(Text(line, style="green" if line.startswith("+") else "red" if line.startswith("-") else ""))
    out.print(f"design {decided.digest[:19]}… {decided.result} for {chosen.project}/{env}")


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
    from infragate.workflow.triage import ListFindings

    _table_or_json(output_format)
    client, chosen = for_design(design_file)
    rows = every(client, ListFindings(project=chosen.project, environment=env, include_closed=include_closed))
    if output_format == "json":
        emit(json.dumps([row.model_dump(mode="json") for row in rows], indent=2) + "\n", None)
        return
    table = Table(title=f"Findings of {chosen.project}", expand=False)
    for column in ("Id", "Env", "Severity", "Status", "Rule", "Component", "Due", "Message"):
        table.add_column(column, overflow="fold")
    for f in rows:
        due = f"{f.due:%Y-%m-%d}" if f.due else ""
        style = SEVERITY_STYLE[Severity(f.severity)]
        # names and messages are shown literally, never as Rich markup
        cells = (str(f.id), f.environment, Text(f.severity, style=style), f.status, f.rule_id, Text(f.component))
        table.add_row(*cells, due, Text(f.message))
    out.print(table)
    err.print(f"{len(rows)} finding(s)")
    note(client)


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
    from infragate.workflow.triage import AssignFinding

    client, chosen = for_design(design_file, acting_as=acting_as)
    client.execute(AssignFinding(project=chosen.project, finding_id=finding_id, user=to))
    out.print(f"finding {finding_id} assigned to {to}", markup=False)


@findings_app.command("resolve")
def findings_resolve(
    finding_id: int = typer.Argument(...),
    status: str = typer.Option("fixed", "--status", help="fixed, verified (security, after fixed) or false-positive"),
    note_text: str = typer.Option(..., "--note", "-m", help="Why: what was done or why it is not a problem."),
    design_file: Path | None = identity.DESIGN,
    acting_as: str | None = identity.AS,
) -> None:
    """Mark a finding fixed, verified or a false positive (high and critical ones, and verifying: security only).

    Examples:

      INFRAGATE_USER=dara.dev@example.com infragate findings resolve 7 --status fixed --note 'port 22 closed'

      INFRAGATE_USER=sam.sec@example.com infragate findings resolve 7 --status verified -m 'retest: closed'
    """
    from infragate.workflow.triage import FindingStatus, ResolveFinding

    if status not in ("fixed", "verified", "false-positive"):
        raise UsageError(
            f"--status is '{status}'", hint="Use fixed, verified or false-positive; `findings accept` accepts a risk."
        )
    client, chosen = for_design(design_file, acting_as=acting_as)
    resolved = ResolveFinding(
        project=chosen.project, finding_id=finding_id, status=FindingStatus(status), note=note_text
    )
    client.execute(resolved)
    out.print(f"finding {finding_id}: {status}")


@findings_app.command("accept")
def findings_accept(
    finding_id: int = typer.Argument(...),
    note_text: str = typer.Option(..., "--note", help="Why the risk is accepted, and until when."),
    design_file: Path | None = identity.DESIGN,
    acting_as: str | None = identity.AS,
) -> None:
    """Accept the risk of a finding (lead; high and critical ones: security only).

    Example:

      INFRAGATE_USER=sam.sec@example.com infragate findings accept 9 --note 'accepted until the Q3 migration'
    """
    from infragate.workflow.triage import FindingStatus, ResolveFinding

    client, chosen = for_design(design_file, acting_as=acting_as)
    accepted = FindingStatus.ACCEPTED_RISK
    client.execute(ResolveFinding(project=chosen.project, finding_id=finding_id, status=accepted, note=note_text))
    out.print(f"finding {finding_id}: accepted risk")


# -- checklist ----------------------------------------------------------------------------------------
@checklist_app.command("show")
def checklist_show(env: str = ENV, design_file: Path | None = identity.DESIGN) -> None:
    """Every checklist item: met or not, and by what evidence or whose signature.

    Example:

      infragate checklist show --env production
    """
    from infragate.workflow.gatekeeping import ShowChecklist

    client, chosen = for_design(design_file)
    items = list(client.execute(ShowChecklist(project=chosen.project, environment=env)))
    table = Table(title=f"Pre-launch checklist of {chosen.project}/{env}", expand=False)
    for column in ("Item", "Area", "Clause", "Kind", "Role", "Status", "Detail"):
        table.add_column(column, overflow="fold")
    for item in items:
        style = {"met": "green", "open": "bold red"}.get(item.status, "dim")
        cells = (item.key, item.area, item.clause, item.kind, item.role)
        table.add_row(*cells, Text(item.status, style=style), Text(item.detail))
    out.print(table)
    unmet = [i for i in items if i.status == "open"]
    err.print(f"{len(items) - len(unmet)} of {len(items)} items met")
    note(client)
    if unmet:
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
    from infragate.workflow.signoffs import SignChecklistItem

    client, chosen = for_design(design_file, acting_as=acting_as)
    client.execute(SignChecklistItem(project=chosen.project, environment=env, key=key, comment=comment))
    out.print(f"{key} signed for {env}")


# -- gates and launch ---------------------------------------------------------------------------------
def show_gates(report: GateReport) -> None:
    title = f"Gates of {report.environment}: current stage {report.stage} ({report.attestation})"
    table = Table(title=title, expand=False)
    for column in ("Stage", "Clause", "Criterion", "Status", "Detail", "Accountable"):
        table.add_column(column, overflow="fold")
    for c in report.criteria:
        status = Text(c.verdict, style=VERDICT_STYLE.get(c.verdict, ""))
        table.add_row(c.stage, c.clause, Text(c.criterion), status, Text(c.detail), c.role)
    out.print(table)
    err.print(f"next: {report.next_step}", markup=False)


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
    from infragate.workflow.gatekeeping import EvaluateGates

    _table_or_json(output_format)
    client, chosen = for_design(design_file)
    report = client.execute(EvaluateGates(project=chosen.project, environment=env))
    if output_format == "json":
        emit(report.model_dump_json(indent=2) + "\n", None)
    else:
        show_gates(report)
        note(client)
    if report.unmet():
        raise typer.Exit(ExitCode.FINDINGS)


def launch(env: str = ENV, design_file: Path | None = identity.DESIGN, acting_as: str | None = identity.AS) -> None:
    """Launch an environment: a lead's decision, allowed only when every gate holds.

    Example:

      INFRAGATE_USER=lena.lead@example.com infragate launch --env production
    """
    from infragate.workflow.gatekeeping import Launch

    client, chosen = for_design(design_file, acting_as=acting_as)
    stage = client.execute(Launch(project=chosen.project, environment=env)).result
    out.print(f"{env} launched (stage {stage})")


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
    from infragate.reporting import render_compliance_html, render_compliance_pdf
    from infragate.settings import load_settings
    from infragate.workflow.report import GetComplianceReport

    if output_format not in ("html", "pdf", "json"):
        raise UsageError(f"--format is '{output_format}'", hint="Use html, pdf or json.")
    to_stdout = output is not None and str(output) == "-"
    if to_stdout and output_format == "pdf":
        raise UsageError("a PDF report cannot go to the terminal", hint="Write it to a file: -o report.pdf")
    client, chosen = for_design(design_file)
    data = client.execute(GetComplianceReport(project=chosen.project, environment=env))
    if output is None:  # a report is a file people open, not a page of HTML in the terminal
        folder = load_settings().home / "reports"
        folder.mkdir(parents=True, exist_ok=True)
        output = folder / f"{data.project}-{env}.{output_format}"
    # Reports list open findings and who is accountable: written for their owner's eyes only.
    if output_format == "json":
        emit(data.model_dump_json(indent=2) + "\n", None if to_stdout else output, private=True)
    elif output_format == "html":
        emit(render_compliance_html(data), None if to_stdout else output, private=True)
    else:
        write_bytes_atomically(output, render_compliance_pdf(data), private=True)
    clauses = data.summary.clauses
    err.print(
        f"{data.project}/{env}: stage {data.stage}, clauses {clauses['met']} met / "
        f"{clauses['unmet']} unmet / {clauses['waived']} waived"
    )
    if not to_stdout:
        out.print(f"report: {output}")
    note(client)
