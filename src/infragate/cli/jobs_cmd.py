"""``infragate jobs …`` and ``infragate worker``: long actions queued for workers, their progress and logs."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table
from rich.text import Text

from infragate.cli import identity
from infragate.cli.client import Client, for_design, note, open_client
from infragate.cli.console import emit, err, out
from infragate.cli.exit_codes import ExitCode
from infragate.errors import UsageError
from infragate.settings import load_settings

if TYPE_CHECKING:
    from infragate.workflow.job_requests import JobOut

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
    from infragate.workflow.job_requests import RequestJob

    client, chosen = for_design(design_file)
    if here and client.where:
        raise UsageError(
            "--here runs a job on this machine, and this CLI is logged in to a server",
            hint="Drop --here: the server's workers run it.",
        )
    plan = _read_plan(plan_file) if plan_file is not None else None
    job = client.execute(RequestJob(project=chosen.project, environment=env, kind=kind, plan=plan, enqueue=not here))
    if here:
        from infragate.jobs.runner import run_job
        from infragate.settings import load_settings

        run_job(load_settings(), job.id)
    else:
        out.print(f"job {job.id} queued: {kind} of {job.project}/{env}")
        if wait:
            _follow(client, job.id)
    if here or wait:
        _exit_unless_held(_show(client, job.id))


def _exit_unless_held(job: JobOut) -> None:
    """Exit 1 unless the job succeeded and what it judged holds (a pipeline step waiting on it fails too)."""
    if job.state != "succeeded":
        raise typer.Exit(ExitCode.FINDINGS)
    if (why := job.result.verdict_failed()) is not None:
        err.print(f"job {job.id} ran to its end, and {why}", markup=False)
        raise typer.Exit(ExitCode.FINDINGS)


@app.command("list")
def list_jobs(
    design_file: Path | None = identity.DESIGN,
    all_projects: bool = typer.Option(False, "--all-projects", help="Jobs of every project (local mode, admins)."),
    output_format: str = typer.Option("table", "--format", "-f", help="table or json"),
) -> None:
    """The latest jobs, newest first: state, kind, environment, who asked, when.

    Examples:

      infragate jobs list

      infragate jobs list --all-projects --format json
    """
    from infragate.workflow.job_requests import ListJobs

    if all_projects:
        client, project = open_client(), None
    else:
        client, chosen = for_design(design_file)
        project = chosen.project
    rows = client.execute(ListJobs(project=project)).items
    if output_format == "json":
        emit(json.dumps([row.model_dump(mode="json") for row in rows], indent=2) + "\n", None)
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
            Text(job.result.model_dump_json(exclude_none=True)[:80]),
        )
    out.print(table)
    note(client)


def _read_plan(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as problem:
        raise UsageError(
            f"cannot read {path}: {problem.strerror}", hint="Pass the file `infragate plan --out` wrote."
        ) from None


def _show(client: Client, job_id: int) -> JobOut:
    from infragate.workflow.job_requests import GetJob

    job = client.execute(GetJob(job_id=job_id))
    out.print(f"job {job.id}: {job.kind} of {job.project}/{job.environment} — {job.state}", markup=False)
    out.print(f"  asked by {job.requested_by} at {job.requested_at:%Y-%m-%d %H:%M:%S} UTC", markup=False)
    if job.worker:
        out.print(f"  worker {job.worker}, attempt {job.attempts}", markup=False)
    result = job.result.model_dump(mode="json", exclude_none=True)
    if result:
        out.print(f"  result {json.dumps(result)}", markup=False)
    return job


def _follow(client: Client, job_id: int, *, follow: bool = True) -> None:
    """Print the job's events as they come, until it ends (or once, without ``follow``)."""
    from infragate.workflow.job_requests import GetJob, GetJobLog

    seen = 0
    while True:
        for event in client.execute(GetJobLog(job_id=job_id, after=seen)):
            out.print(f"{event.at:%H:%M:%S} {event.kind:8} {event.message}", markup=False)
            seen = event.id
        if not follow or client.execute(GetJob(job_id=job_id)).state not in ("queued", "running"):
            if follow:  # the last lines may have come with the end
                for event in client.execute(GetJobLog(job_id=job_id, after=seen)):
                    out.print(f"{event.at:%H:%M:%S} {event.kind:8} {event.message}", markup=False)
            return
        time.sleep(0.5)


@app.command("show")
def show(job_id: int = typer.Argument(...)) -> None:
    """One job: what, who asked, its worker, state and result.

    Example:

      infragate jobs show 12
    """
    _show(open_client(), job_id)


@app.command("logs")
def logs(
    job_id: int = typer.Argument(...),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing until the job ends."),
) -> None:
    """A job's progress events and log lines.

    Example:

      infragate jobs logs 12 --follow
    """
    _follow(open_client(), job_id, follow=follow)


@app.command("cancel")
def cancel(job_id: int = typer.Argument(...)) -> None:
    """Cancel a queued job, or stop a running one as Ctrl-C would (running changes finish; the rest are not
    started). Allowed to whoever asked for it, and to leads and admins (INFRAGATE_USER says who you are).

    Example:

      INFRAGATE_USER=lena.lead@example.com infragate jobs cancel 12
    """
    from infragate.workflow.job_requests import CancelJob

    job = open_client().execute(CancelJob(job_id=job_id))
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
    from infragate.workflow.job_requests import AddSchedule

    client, chosen = for_design(design_file)
    client.execute(AddSchedule(project=chosen.project, environment=env, name=name, kind=kind, cron=cron))
    err.print(f"scheduled {kind} of {chosen.project}/{env} as {name}: {cron} (UTC)", markup=False)


@app.command("schedules")
def schedules(design_file: Path | None = identity.DESIGN) -> None:
    """The project's schedules (seeded from each environment's `schedules:` in the design).

    Example:

      infragate jobs schedules --project webshop
    """
    from infragate.workflow.job_requests import ListSchedules

    client, chosen = for_design(design_file)
    rows = list(client.execute(ListSchedules(project=chosen.project)))
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
