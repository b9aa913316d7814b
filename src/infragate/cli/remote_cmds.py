"""The workflow commands in team mode: the same commands and flags, answered by the server's API.

Each function here is the remote half of a command in ``workflow_cmd``, ``provision_cmd`` or ``jobs_cmd``:
the command calls it when ``remote.connection()`` finds a server. The server decides; this only asks and shows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from infragate.cli import identity
from infragate.cli.console import emit, err, out, write_bytes_atomically
from infragate.cli.exit_codes import ExitCode
from infragate.cli.remote import Server, segment
from infragate.cli.render import SEVERITY_STYLE
from infragate.design import load_design
from infragate.errors import UsageError
from infragate.policy import Severity

SERVER_NOTE = "team mode: answered by {url} as {user}"
VERDICT_STYLE = {"met": "green", "unmet": "bold red", "not applicable": "dim"}


def target(design_file: Path | None, acting_as: str | None = None) -> tuple[str, str]:
    """The project a command names, and the digest of the local design file ('' for ``--project NAME``): the
    server works from the design registered there, and a decision names the digest the person looked at."""
    if acting_as is not None:
        raise UsageError(
            "--as is for local mode: a server acts only as the person it authenticated",
            hint="Sign in as that person (`infragate login`), or have them act.",
        )
    if design_file is not None and not (
        design_file.is_file() or design_file.suffix in (".yaml", ".yml") or len(design_file.parts) > 1
    ):
        return str(design_file), ""
    design = load_design(identity.resolve_design(design_file))
    return design.project.name, design.digest


def project_of(design_file: Path | None, acting_as: str | None = None) -> str:
    return target(design_file, acting_as)[0]


def note(server: Server) -> None:
    err.print(SERVER_NOTE.format(url=server.url, user=server.user), style="dim", markup=False)


def _all(server: Server, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every item of a paginated list."""
    items: list[dict[str, Any]] = []
    while True:
        page = server.call("GET", path, params={**(params or {}), "offset": len(items), "limit": 200})
        items += page["items"]
        if not page["items"] or len(items) >= page["total"]:
            return items


# -- people ---------------------------------------------------------------------------------------------
def whoami(server: Server) -> None:
    me = server.call("GET", "/me")
    roles = [f"{project}: {', '.join(held)}" for project, held in sorted(me["projects"].items())]
    out.print(f"{me['name']}: {'; '.join((['admin'] if me['admin'] else []) + roles) or 'no role on any project'}")
    err.print(f"team mode: authenticated by {server.url} ({me['via']})", style="dim", markup=False)


def user_list(server: Server) -> None:
    for user in server.call("GET", "/users"):
        roles = [f"{project}: {', '.join(held)}" for project, held in sorted(user["projects"].items())]
        out.print(
            f"{user['name']}: {'; '.join((['admin'] if user['admin'] else []) + roles) or 'no role'}", markup=False
        )


def user_add(server: Server, name: str, admin: bool, email: str) -> None:
    made = server.call("POST", "/users", body={"name": name, "admin": admin, "email": email})
    out.print(f"{made['name']}: {'admin' if made['admin'] else 'no role on any project'}", markup=False)


def user_password(server: Server, name: str, password: str) -> None:
    server.call("PUT", f"/users/{segment(name)}/password", body={"password": password})
    out.print(f"password of {name} set", markup=False)


def members_list(server: Server, project: str) -> None:
    for member in server.call("GET", f"/projects/{segment(project)}/members"):
        granted = str(member["granted_at"])[:10]
        out.print(
            f"{member['role']:<10} {member['user']}  (granted by {member['granted_by']}, {granted})", markup=False
        )


def members_change(server: Server, project: str, name: str, role: str, *, grant: bool) -> None:
    path = f"/projects/{segment(project)}/members"
    if grant:
        change = server.call("POST", path, body={"user": name, "role": role})
    else:
        change = server.call("DELETE", f"{path}/{segment(name)}/{segment(role)}")
    out.print(f"{'+' if change['change'] == 'grant' else '-'} {change['user']} as {change['role']}", markup=False)


# -- projects -------------------------------------------------------------------------------------------
def project_list(server: Server) -> None:
    rows = _all(server, "/portfolio")
    by_project: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_project.setdefault(row["project"], []).append(row)
    for project, environments in sorted(by_project.items()):
        stages = ", ".join(f"{e['environment']}: {e['stage']}" for e in environments)
        out.print(f"{project} ({environments[0]['client']}) — {stages}", markup=False)
    note(server)


def project_status(server: Server, project: str) -> None:
    rows = [row for row in _all(server, "/portfolio") if row["project"] == project]
    if not rows:
        raise UsageError(f"there is no project {project} you may read on {server.url}", hint="`infragate project list`")
    table = Table(title=project, expand=False)
    for column in ("Environment", "Stage", "Overdue findings", "Next person to act"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["environment"], row["stage"], str(row["overdue_findings"]), Text(row["next_step"]))
    out.print(table)
    note(server)


# -- decisions ------------------------------------------------------------------------------------------
def approve_design(server: Server, project: str, env: str, comment: str, role: str | None, digest: str) -> None:
    base = f"/projects/{segment(project)}/environments/{segment(env)}"
    changes = server.call("GET", f"{base}/design-changes")
    if digest and changes["current_digest"] != digest:
        raise UsageError(
            f"the server's design of {project} is {changes['current_digest'][:19]}…, not your file's {digest[:19]}…",
            hint="Register your version on the server first (or approve with --project NAME to approve the "
            "server's design as it is).",
        )
    if changes["diff"]:
        out.print(f"changed since {changes['approved_by']} approved {str(changes['approved_digest'])[:19]}…:")
        for line in changes["diff"]:
            out.print(Text(line, style="green" if line.startswith("+") else "red" if line.startswith("-") else ""))
    body = {"comment": comment, "role": role, "digest": changes["current_digest"]}
    verb = server.call("POST", f"{base}/design-approvals", body=body)["result"]
    out.print(f"design {changes['current_digest'][:19]}… {verb} for {project}/{env}")


def approve_plan(server: Server, project: str, env: str, digest: str, comment: str) -> None:
    path = f"/projects/{segment(project)}/environments/{segment(env)}/plan-approvals"
    server.call("POST", path, body={"digest": digest, "comment": comment})
    out.print(f"plan {digest[:19]}… for {project}/{env} approved")


def approve_stress(server: Server, project: str, env: str, design_digest: str, comment: str) -> None:
    path = f"/projects/{segment(project)}/environments/{segment(env)}/stress-approvals"
    approved = server.call("POST", path, body={"design_digest": design_digest, "comment": comment})
    out.print(f"stress plan {approved['digest'][:19]}… for {project}/{env} approved", markup=False)


def launch(server: Server, project: str, env: str) -> None:
    stage = server.call("POST", f"/projects/{segment(project)}/environments/{segment(env)}/launch")["result"]
    out.print(f"{env} launched (stage {stage})")


# -- findings and checklist -----------------------------------------------------------------------------
def findings_list(server: Server, project: str, env: str | None, output_format: str) -> None:
    rows = _all(server, f"/projects/{segment(project)}/findings", {"environment": env})
    rows.sort(key=lambda f: (-Severity(f["severity"]).rank, f["id"]))
    if output_format == "json":
        emit(json.dumps(rows, indent=2) + "\n", None)
        return
    table = Table(title=f"Findings of {project}", expand=False)
    for column in ("Id", "Env", "Severity", "Status", "Rule", "Component", "Due", "Title"):
        table.add_column(column, overflow="fold")
    for f in rows:
        style = SEVERITY_STYLE[Severity(f["severity"])]
        due = str(f["due"] or "")[:10]
        row = (str(f["id"]), f["environment"], Text(f["severity"], style=style), f["status"], f["rule"])
        table.add_row(*row, Text(f["component"]), due, Text(f["title"]))
    out.print(table)
    err.print(f"{len(rows)} finding(s)")
    note(server)


def finding_assign(server: Server, project: str, finding_id: int, to: str) -> None:
    server.call("PUT", f"/projects/{segment(project)}/findings/{finding_id}/assignee", body={"user": to})
    out.print(f"finding {finding_id} assigned to {to}", markup=False)


def finding_resolve(server: Server, project: str, finding_id: int, status: str, note_text: str) -> None:
    path = f"/projects/{segment(project)}/findings/{finding_id}/resolution"
    server.call("POST", path, body={"status": status, "note": note_text})
    out.print(f"finding {finding_id}: {status.replace('-', ' ')}")


def checklist_show(server: Server, project: str, env: str) -> None:
    items = server.call("GET", f"/projects/{segment(project)}/environments/{segment(env)}/checklist")
    table = Table(title=f"Pre-launch checklist of {project}/{env}", expand=False)
    for column in ("Item", "Area", "Clause", "Kind", "Role", "Status", "Detail"):
        table.add_column(column, overflow="fold")
    for item in items:
        style = {"met": "green", "open": "bold red"}.get(item["status"], "dim")
        cells = (item["key"], item["area"], item["clause"], item["kind"], item["role"])
        table.add_row(*cells, Text(item["status"], style=style), Text(item["detail"]))
    out.print(table)
    unmet = [i for i in items if i["status"] == "open"]
    err.print(f"{len(items) - len(unmet)} of {len(items)} items met")
    if unmet:
        raise typer.Exit(ExitCode.FINDINGS)


def checklist_sign(server: Server, project: str, env: str, key: str, comment: str) -> None:
    path = f"/projects/{segment(project)}/environments/{segment(env)}/checklist/{segment(key)}/signatures"
    server.call("POST", path, body={"comment": comment})
    out.print(f"{key} signed for {env}")


def gate_check(server: Server, project: str, env: str, output_format: str) -> None:
    gates = server.call("GET", f"/projects/{segment(project)}/environments/{segment(env)}/gates")
    if output_format == "json":
        emit(json.dumps(gates, indent=2) + "\n", None)
    else:
        title = f"Gates of {env}: current stage {gates['stage']} ({gates['attestation']})"
        table = Table(title=title, expand=False)
        for column in ("Stage", "Clause", "Criterion", "Status", "Detail", "Accountable"):
            table.add_column(column, overflow="fold")
        for c in gates["criteria"]:
            verdict = Text(c["verdict"], style=VERDICT_STYLE.get(c["verdict"], ""))
            table.add_row(c["stage"], c["clause"], c["criterion"], verdict, Text(c["detail"]), c["role"])
        out.print(table)
        err.print(f"next: {gates['next_step']}", markup=False)
    if any(c["verdict"] == "unmet" for c in gates["criteria"]):
        raise typer.Exit(ExitCode.FINDINGS)


def report(server: Server, project: str, env: str, output_format: str, output: Path | None) -> None:
    path = f"/projects/{segment(project)}/environments/{segment(env)}/report"
    body = server.call("GET", path, params={"format": output_format})
    data = body if isinstance(body, bytes) else json.dumps(body, indent=2).encode() + b"\n"
    if output is None:
        output = Path(f"{project}-{env}.{output_format}")
    if str(output) == "-":
        if output_format == "pdf":
            raise UsageError("a PDF report cannot go to the terminal", hint="Write it to a file: -o report.pdf")
        emit(data.decode(), None)
        return
    write_bytes_atomically(output, data, private=True)  # reports list open findings: their owner's eyes only
    out.print(f"report: {output}")


# -- jobs -----------------------------------------------------------------------------------------------
def job_submit(server: Server, project: str, env: str, kind: str, plan: dict[str, Any] | None) -> dict[str, Any]:
    path = f"/projects/{segment(project)}/environments/{segment(env)}/jobs"
    job: dict[str, Any] = server.call("POST", path, body={"kind": kind, "plan": plan})
    out.print(f"job {job['id']} queued: {kind} of {project}/{env}")
    return job


def job_list(server: Server, project: str, output_format: str) -> None:
    jobs = _all(server, f"/projects/{segment(project)}/jobs")
    if output_format == "json":
        emit(json.dumps(jobs, indent=2) + "\n", None)
        return
    table = Table(title="Jobs", expand=False)
    for column in ("Id", "State", "Kind", "Project/env", "Asked by", "Queued (UTC)", "Result"):
        table.add_column(column, overflow="fold")
    for job in jobs:
        queued = str(job["requested_at"])[:19].replace("T", " ")
        cells = (str(job["id"]), job["state"], job["kind"], f"{job['project']}/{job['environment']}")
        table.add_row(*cells, Text(job["requested_by"]), queued, Text(json.dumps(job["result"])[:80]))
    out.print(table)


def job_show(server: Server, job_id: int) -> dict[str, Any]:
    job: dict[str, Any] = server.call("GET", f"/jobs/{job_id}")
    out.print(f"job {job['id']}: {job['kind']} of {job['project']}/{job['environment']} — {job['state']}", markup=False)
    out.print(
        f"  asked by {job['requested_by']} at {str(job['requested_at'])[:19].replace('T', ' ')} UTC", markup=False
    )
    if job["worker"]:
        out.print(f"  worker {job['worker']}", markup=False)
    if job["result"]:
        out.print(f"  result {json.dumps(job['result'])}", markup=False)
    return job


def job_logs(server: Server, job_id: int, follow: bool) -> None:
    if not follow:
        for event in server.call("GET", f"/jobs/{job_id}/log"):
            out.print(f"{str(event['at'])[11:19]} {event['kind']:8} {event['message']}", markup=False)
        return
    seen = 0
    while True:  # the server ends a stream after a while; resume after the last event seen
        response = server.stream(f"/jobs/{job_id}/events", last_event=seen)
        try:
            ended = False
            for event, data, event_id in _events(response.iter_lines()):
                if event == "end":
                    ended = True
                    break
                seen = max(seen, event_id)
                line = json.loads(data)
                out.print(f"{str(line['at'])[11:19]} {line['kind']:8} {line['message']}", markup=False)
        finally:
            response.close()
        if ended:
            return


def _events(lines: Any) -> Any:
    """(event, data, id) for each server-sent event in a stream of lines."""
    event, data, event_id = "message", "", 0
    for line in lines:
        if not line:
            if data:
                yield event, data, event_id
            event, data = "message", ""
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data += line[5:].strip()
        elif line.startswith("id:") and line[3:].strip().isdigit():
            event_id = int(line[3:].strip())


def job_cancel(server: Server, job_id: int) -> None:
    job = server.call("POST", f"/jobs/{job_id}/cancellation")
    out.print(f"job {job_id} {'cancelled' if job['state'] == 'cancelled' else 'asked to stop'}")
