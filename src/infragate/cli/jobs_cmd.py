"""``infragate jobs …`` and ``infragate worker``: long actions queued for workers, their progress and logs."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from infragate.cli import identity, remote, remote_cmds
from infragate.cli.console import emit, err, out
from infragate.cli.exit_codes import ExitCode
from infragate.design import load_design
from infragate.errors import UsageError
from infragate.jobs.verdicts import verdict_failed
from infragate.settings import load_settings

app = typer.Typer(
    help="Jobs: verify, audit, drift (verify + audit) and apply, run by workers; their state, logs and "
    "cancellation. Records live in the store whichever queue carried them.",
    no_args_is_help=True,
)
STATE_STYLE = {"queued": "cyan", "running": "yellow", "succeeded": "green", "failed": "bold red", "cancelled": "dim"}


@app.command("submit")
def submit(
    kind: str = typer.Argument(
        ..., help="verify, audit, drift (verify, then audit), apply, test, stress, scan or drill."
    ),
    env: str = typer.Option(..., "--env", "-e", help="The environment."),
    design_file: Path | None = identity.DESIGN,
    here: bool = typer.Option(False, "--here", help="Run it now in this process instead of queueing it."),
    wait: bool = typer.Option(
        False, "--wait", help="Wait until a worker has finished it; exit 1 unless it succeeded and its verdict holds."
    ),
    plan_file: Path | None = typer.Option(None, "--plan", help="apply: the reviewed plan to apply."),
) -> None:
    """Queue a job for the workers (`infragate worker`), or run it --here. INFRAGATE_USER says who asked: any
    member working on the project may ask for verify, audit or drift; an apply needs the lead or infra role.

    Examples:

      infragate jobs submit drift --env production -d examples/webshop/infragate.yaml

      infragate jobs submit audit --env staging --wait
    """
    from infragate.jobs.queue import make_queue
    from infragate.jobs.runner import run_job
    from infragate.store import jobs as job_store
    from infragate.store import open_store

    if (server := remote.connection()) is not None:
        if here:
            raise UsageError(
                "--here runs a job on this machine, and this CLI is logged in to a server",
                hint=("Drop --here: the server's workers run it."),
            )
        plan = json.loads(_read_plan(plan_file)) if plan_file is not None else None
        queued = remote_cmds.job_submit(server, remote_cmds.project_of(design_file), env, kind, plan)
        if wait:
            remote_cmds.job_logs(server, queued["id"], follow=True)
            finished = remote_cmds.job_show(server, queued["id"])
            _exit_unless_held(finished["id"], finished["state"], finished.get("result") or {})
        return
    design = load_design(identity.resolve_design(design_file))
    params = {"plan": _read_plan(plan_file)} if plan_file is not None else {}
    settings = load_settings()
    job = identity.workflow_for(design).request_job(env, kind, params)  # who may ask is the use-case's call
    if here:
        job = run_job(settings, job.id) or job
    else:
        make_queue(settings).enqueue(job.id)
    if not here:
        out.print(f"job {job.id} queued: {kind} of {design.project.name}/{env}")
    if wait and not here:
        store = open_store(settings)
        while (current := job_store.get(store, job.id)) is not None and current.state in job_store.ACTIVE:
            time.sleep(0.2)
        job = current or job
    if here or wait:
        _show(job.id)
        _exit_unless_held(job.id, job.state, job.result)


def _exit_unless_held(job_id: int, state: str, result: dict[str, Any]) -> None:
    """Exit 1 unless the job succeeded and what it judged holds (a pipeline step waiting on it fails too)."""
    if state != "succeeded":
        raise typer.Exit(ExitCode.FINDINGS)
    if (why := verdict_failed(result)) is not None:
        err.print(f"job {job_id} ran to its end, and {why}", markup=False)
        raise typer.Exit(ExitCode.FINDINGS)


@app.command("list")
def list_jobs(
    design_file: Path | None = identity.DESIGN,
    all_projects: bool = typer.Option(False, "--all-projects", help="Jobs of every project."),
    output_format: str = typer.Option("table", "--format", "-f", help="table or json"),
) -> None:
    """The latest jobs, newest first: state, kind, environment, who asked, when.

    Examples:

      infragate jobs list

      infragate jobs list --all-projects --format json
    """
    from infragate.store import jobs as job_store
    from infragate.store import open_store

    if (server := remote.connection()) is not None:
        if all_projects:
            raise UsageError("--all-projects is for local mode", hint="On a server, list one project's jobs: -p NAME")
        return remote_cmds.job_list(server, remote_cmds.project_of(design_file), output_format)
    project = None if all_projects else load_design(identity.resolve_design(design_file)).project.name
    rows = job_store.listing(open_store(load_settings()), project)
    if output_format == "json":
        emit(json.dumps([_json(job) for job in rows], indent=2, default=str) + "\n", None)
        return
    table = Table(title="Jobs", expand=False)
    for column in ("Id", "State", "Kind", "Project/env", "Asked by", "Queued (UTC)", "Result"):
        table.add_column(column, overflow="fold")
    for job in rows:
        table.add_row(
            str(job.id),
            Text(job.state, style=STATE_STYLE.get(job.state, "")),
            job.kind,
            f"{job.project}/{job.environment}",
            Text(job.requested_by),
            f"{job.requested_at:%Y-%m-%d %H:%M:%S}",
            Text(json.dumps(job.result, default=str)[:80]),
        )
    out.print(table)


def _read_plan(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as problem:
        raise UsageError(
            f"cannot read {path}: {problem.strerror}", hint="Pass the file `infragate plan --out` wrote."
        ) from None


def _json(job: object) -> dict[str, object]:
    return {key: value for key, value in vars(job).items() if key != "params"}


def _show(job_id: int) -> None:
    from infragate.store import jobs as job_store
    from infragate.store import open_store

    job = job_store.get(open_store(load_settings()), job_id)
    if job is None:
        raise UsageError(f"there is no job {job_id}", hint="`infragate jobs list` shows them.")
    out.print(f"job {job.id}: {job.kind} of {job.project}/{job.environment} — {job.state}", markup=False)
    out.print(f"  asked by {job.requested_by} at {job.requested_at:%Y-%m-%d %H:%M:%S} UTC", markup=False)
    if job.worker:
        out.print(f"  worker {job.worker}, attempt {job.attempts}", markup=False)
    if job.result:
        out.print(f"  result {json.dumps(job.result, default=str)}", markup=False)


@app.command("show")
def show(job_id: int = typer.Argument(...)) -> None:
    """One job: what, who asked, its worker, state and result.

    Example:

      infragate jobs show 12
    """
    if (server := remote.connection()) is not None:
        remote_cmds.job_show(server, job_id)
        return
    _show(job_id)


@app.command("logs")
def logs(
    job_id: int = typer.Argument(...),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing until the job ends."),
) -> None:
    """A job's progress events and log lines.

    Example:

      infragate jobs logs 12 --follow
    """
    from infragate.store import jobs as job_store
    from infragate.store import open_store

    if (server := remote.connection()) is not None:
        return remote_cmds.job_logs(server, job_id, follow)
    store = open_store(load_settings())
    if job_store.get(store, job_id) is None:
        raise UsageError(f"there is no job {job_id}", hint="`infragate jobs list` shows them.")
    printed = 0
    while True:
        events = job_store.events(store, job_id)
        for at, kind, message in events[printed:]:
            out.print(f"{at:%H:%M:%S} {kind:8} {message}", markup=False)
        printed = len(events)
        job = job_store.get(store, job_id)
        if not follow or job is None or job.state not in job_store.ACTIVE:
            return
        time.sleep(0.5)


@app.command("cancel")
def cancel(job_id: int = typer.Argument(...)) -> None:
    """Cancel a queued job, or stop a running one as Ctrl-C would (running changes finish; the rest are not
    started). Allowed to whoever asked for it, and to leads and admins (INFRAGATE_USER says who you are).

    Example:

      INFRAGATE_USER=lena.lead@example.com infragate jobs cancel 12
    """
    from infragate.jobs.control import cancel as cancel_job
    from infragate.store import open_store

    if (server := remote.connection()) is not None:
        return remote_cmds.job_cancel(server, job_id)
    job = cancel_job(open_store(load_settings()), job_id, identity.current_user())
    verb = "cancelled" if job.state == "cancelled" else "asked to stop"
    out.print(f"job {job_id} {verb}")


@app.command("schedule")
def schedule(
    env: str = typer.Option(..., "--env", "-e", help="The environment."),
    name: str = typer.Option(..., "--name", "-n", min=1, help="The schedule's name (an existing one is replaced)."),
    kind: str = typer.Option("scan", "--kind", "-k", help="drift, verify, audit or scan."),
    cron: str = typer.Option(..., "--cron", help="minute hour day-of-month month day-of-week, in UTC"),
    design_file: Path | None = identity.DESIGN,
) -> None:
    """Schedule a recurring job as yourself (lead or security). A scheduled scan of production runs as the
    person who scheduled it, so only security may schedule one; the design's own `schedules:` need no one.

    Example:

      INFRAGATE_USER=sam.sec@example.com infragate jobs schedule --env production --name weekly-scan \\
        --kind scan --cron '0 2 * * 1'
    """
    flow = identity.workflow(design_file)
    flow.add_schedule(env, name, kind, cron)
    err.print(f"scheduled {kind} of {flow.design.project.name}/{env} as {name}: {cron} (UTC)", markup=False)


@app.command("schedules")
def schedules(design_file: Path | None = identity.DESIGN) -> None:
    """The project's schedules (seeded from each environment's `schedules:` in the design).

    Example:

      infragate jobs schedules --project webshop
    """
    from infragate.store import jobs as job_store
    from infragate.store import open_store

    flow = identity.workflow(design_file, identified=False)
    flow.register_project()  # seeds the schedules of the design as it is now
    rows = job_store.schedules(open_store(load_settings()), flow.design.project.name)
    if not rows:
        err.print("no schedules: add `schedules:` to an environment in the design")
        return
    table = Table(title="Schedules", expand=False)
    for column in ("Environment", "Name", "Kind", "Cron (UTC)", "Made by", "Last fired"):
        table.add_column(column)
    for row in rows:
        fired = f"{row.last_fired_at:%Y-%m-%d %H:%M}" if row.last_fired_at else "never"
        table.add_row(row.environment, row.name, row.kind, row.cron, row.created_by or "the design", fired)
    out.print(table)


def worker(
    workers: int = typer.Option(2, "--workers", "-w", min=1, max=32, help="Jobs run at once by this worker."),
) -> None:
    """Run jobs from the queue and fire schedules, until Ctrl-C. SQLite queue under INFRAGATE_HOME by
    default; set INFRAGATE_QUEUE_URL=redis://host:6379/0 for workers on several machines.

    Example:

      INFRAGATE_QUEUE_URL=redis://127.0.0.1:6379/0 infragate worker --workers 4
    """
    from infragate.jobs.queue import make_queue, work

    settings = load_settings()
    queue = make_queue(settings)
    try:
        # Inside the try: Ctrl-C can land while Rich is still finishing this line, after it reached the terminal.
        err.print(f"worker on {queue.description}, {workers} at once; Ctrl-C stops it")
        work(settings, queue, workers)
    except KeyboardInterrupt:  # Ctrl-C before the consumer took over its signals: stopping is what was asked
        err.print("worker stopped")
