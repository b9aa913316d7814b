"""``infragate stress``: the stress test of an environment (ICP-3.3), and ``stress worker`` for other machines."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree

import typer
from rich.live import Live
from rich.table import Table
from rich.text import Text

from infragate.cli import identity
from infragate.cli.client import TerminalView, for_design
from infragate.cli.console import emit, err, out
from infragate.cli.exit_codes import ExitCode
from infragate.errors import UsageError
from infragate.stress.limits import growth
from infragate.stress.report import StressDocument, render_html
from infragate.stress.results import CloudWatchCpu

if TYPE_CHECKING:
    from infragate.workflow.stress_testing import StressOutcome

app = typer.Typer(
    help="Stress tests (ICP-3.3): Locust against the environment's declared endpoints, exact percentiles, "
    "and SLO verdicts at the design's peak load.",
    invoke_without_command=True,
)
ENV = typer.Option(None, "--env", "-e", help="The environment.")


@app.callback()
def stress(
    ctx: typer.Context,
    env: str | None = ENV,
    design_file: Path | None = identity.DESIGN,
    workers: int = typer.Option(
        os.cpu_count() or 1, "--workers", "-w", min=0, max=64, help="Locust workers on this machine."
    ),
    expect_workers: int = typer.Option(
        0, "--expect-workers", min=0, max=256, help="Also wait for this many workers started elsewhere."
    ),
    master_bind: str = typer.Option("127.0.0.1", "--master-bind", help="Where the master listens for workers."),
    master_port: int = typer.Option(5557, "--master-port", min=1, max=65535),
    peak_rps: float | None = typer.Option(None, "--peak-rps", min=0.1, help="Instead of the design's peak_rps."),
    hold: int | None = typer.Option(None, "--hold", min=5, max=86_400, help="Seconds at the peak."),
    ramp: int | None = typer.Option(None, "--ramp", min=1, max=3600, help="Seconds to reach the peak."),
    profile: str | None = typer.Option(None, "--profile", help="ramp, step, spike or soak."),
    output_format: str = typer.Option("table", "--format", "-f", help="table, json, junit or html"),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write json, junit or html here."),
    plan_only: bool = typer.Option(False, "--plan", help="Show the stress plan and its digest; send nothing."),
    engine: str = typer.Option(
        "locust", "--engine", help="locust (here) or loaderio (Loader.io's servers; INFRAGATE_LOADERIO_KEY)."
    ),
    find_limit: bool = typer.Option(
        False, "--find-limit", help="Raise the load step by step to the caps and report where it breaks."
    ),
) -> None:
    """Stress-test the environment (ICP-3.3): Locust (a master and --workers processes, never inside
    infragate) runs the environment's scenario (its stress: requests, or its own stress: locustfile's User
    classes) against its first declared endpoint, ramps to the design's peak_rps and holds it. Every response
    time goes into an HdrHistogram, so percentiles are exact; then p95, p99 and the error rate during the hold
    are judged against the design's targets. The run is recorded, failing SLOs become findings; exit 1 when an
    SLO is missed. Ctrl-C stops it and keeps what was measured.

    Examples:

      infragate stress --env staging -d examples/webshop/infragate.yaml

      infragate stress --env staging --workers 2 --hold 60 --format junit -o stress.xml

      infragate stress --env staging --find-limit      # the breaking point: where, and which limit first

      infragate stress --env staging --workers 0 --expect-workers 2 --master-bind 0.0.0.0 \\
        # then on two other machines: infragate stress worker --master HOST:5557 --env staging
    """
    if ctx.invoked_subcommand is not None:
        return
    from infragate.workflow.stress_testing import GetStressPlan, StressOptions, StressTest

    if env is None:
        raise UsageError("which environment?", hint="Pass --env NAME.")
    if output_format not in ("table", "json", "junit", "html"):
        raise UsageError(f"--format is '{output_format}'", hint="Use table, json, junit or html.")
    if engine not in ("locust", "loaderio"):
        raise UsageError(f"--engine is '{engine}'", hint="Use locust or loaderio.")
    if profile is not None and profile not in ("ramp", "step", "spike", "soak"):
        raise UsageError(f"--profile is '{profile}'", hint="Use ramp, step, spike or soak.")
    view = _StressView()
    client, chosen = for_design(design_file, view=view)
    options = StressOptions(
        workers=workers,
        remote_workers=expect_workers,
        peak_rps=peak_rps,
        hold_s=hold,
        ramp_s=ramp,
        profile=profile,
        bind=master_bind,
        port=master_port if (expect_workers or master_port != 5557) else None,
        find_limit=find_limit,
        engine=engine,
    )
    command = StressTest(project=chosen.project, environment=env, options=options)
    # a plan is read, not run: no CA needed; a run is refused here, before Locust starts, without approval
    planned = GetStressPlan(project=chosen.project, environment=env, options=options, to_run=not plan_only)
    scenario = client.execute(planned).scenario
    if plan_only:
        emit(json.dumps({"digest": scenario.digest, **scenario.to_json()}, indent=2) + "\n", output)
        err.print(f"stress plan {scenario.digest} (production needs a lead's `infragate approve stress`)", markup=False)
        return
    err.print(
        f"stress: {chosen.project}/{env} {scenario.profile} to {scenario.peak_rps:g} requests/s "
        f"({scenario.peak_users} users), hold {scenario.hold[1] - scenario.hold[0]:g} s, "
        f"{workers} local worker(s){f' + {expect_workers} remote' if expect_workers else ''}; Ctrl-C stops it",
        markup=False,
    )
    total = scenario.duration_s
    with Live(_progress({}, total), console=err, refresh_per_second=2, transient=True) as live:
        view.show = lambda p: live.update(_progress(p, total))
        stressed = client.execute(command)
    outcome, run_id = stressed.outcome, stressed.run_id

    document = _document(outcome, run_id)
    page = render_html(document)
    (outcome.folder / "report.html").write_text(page)  # always: the charts are for people
    if output_format == "json":
        emit(document.to_json() + "\n", output)
    elif output_format == "html":
        emit(page, output)
    elif output_format == "junit":
        emit(_junit(outcome), output)
    else:
        _show(outcome)
    if outcome.passed:
        verdict = "met every SLO"
    elif outcome.interrupted:
        verdict = "was interrupted"
    elif outcome.not_evaluated:
        verdict = f"is not evaluated: it measured nothing ({outcome.not_evaluated})"
    else:
        verdict = "missed"
    err.print(f"{chosen.project}/{env}: the stress test {verdict} (run {run_id})", markup=False)
    err.print(f"report: {outcome.folder / 'report.html'}", markup=False)
    if not outcome.passed:
        raise typer.Exit(ExitCode.FINDINGS)


class _StressView(TerminalView):
    """Shows Locust's progress line while the test runs."""

    def __init__(self) -> None:
        super().__init__()
        self.show: Callable[[dict[str, float]], None] = lambda _: None

    def stress_progress(self, sample: dict[str, float]) -> None:
        self.show(sample)


def _progress(p: dict[str, float], total: float) -> Text:
    elapsed = float(p.get("elapsed", 0))
    return Text(
        f"{elapsed:5.0f}/{total:.0f} s  users {p.get('users', 0):>4}  {float(p.get('rps', 0)):7.1f} requests/s  "
        f"p95 {p.get('p95', 0)} ms  errors {p.get('failures', 0)}/{p.get('requests', 0)}  "
        f"left {max(total - elapsed, 0):.0f} s"
    )


def _show(outcome: StressOutcome) -> None:
    table = Table(title=f"SLOs at the peak load ({outcome.scenario.peak_rps:g} requests/s)", expand=False)
    for column in ("SLO", "Verdict", "Measured", "Target", "Detail"):
        table.add_column(column)
    for v in outcome.verdicts:
        verdict = Text("met" if v.passed else "missed", style="green" if v.passed else "bold red")
        measured = "—" if v.measured is None else f"{round(v.measured, 4):g} {v.unit}".strip()
        table.add_row(v.name, verdict, measured, f"{v.target:g} {v.unit}".strip(), Text(v.detail))
    out.print(table)
    if outcome.limit is not None:
        steps = Table(title="The breaking point: each step against the targets", expand=False)
        for column in ("Step", "Users", "Offered/s", "Answered/s", "p95 ms", "p99 ms", "Errors", "Broke on"):
            steps.add_column(column)
        for step in outcome.limit.steps:
            broke = Text(", ".join(step.broken) or "—", style="bold red" if step.broken else "green")
            steps.add_row(
                str(step.index + 1),
                str(step.users),
                f"{step.offered_rps:g}",
                f"{step.achieved_rps:.1f}",
                f"{step.p95:.1f}",
                f"{step.p99:.1f}",
                f"{step.error_rate:.2%}",
                broke,
            )
        out.print(steps)
        out.print(outcome.limit.describe(), markup=False)
    grows = [(name, slope) for name, slope in growth(outcome.results) if slope > 0]  # falling is not growing
    if grows:
        out.print(
            "p95 grows fastest with load: " + ", ".join(f"{n} (+{g:.1f} ms per 10 requests/s)" for n, g in grows),
            markup=False,
        )
    names = Table(title="Per request name (HdrHistogram; Locust's own p95 beside it)", expand=False)
    for column in ("Request", "Count", "Errors", "p50", "p95", "p99", "p99.9", "max", "Locust p95"):
        names.add_column(column)
    for name, s in sorted(outcome.results.names.items(), key=lambda x: -(x[1].p95 or 0.0)):
        cells = [f"{value or 0.0:.1f}" for value in (s.p50, s.p95, s.p99, s.p99_9, s.max)]
        locust = "" if s.locust.p95 is None else f"{s.locust.p95:g}"
        names.add_row(Text(name), str(s.count), str(s.errors), *cells, locust)
    out.print(names)
    _show_cpu(outcome.results.cloudwatch)


def _show_cpu(cloudwatch: CloudWatchCpu | None) -> None:
    if cloudwatch is None:
        return
    if cloudwatch.reason:
        out.print(f"CloudWatch CPU: {cloudwatch.status}: {cloudwatch.reason}", markup=False)
    if cloudwatch.unread:
        out.print(f"CloudWatch CPU: not read: {cloudwatch.unread}", markup=False)
    series = [s for s in cloudwatch.series if s.points]
    if series:
        table = Table(title="CloudWatch CPU over the test", expand=False)
        for column in ("Component", "Kind", "Resource", "Peak", "Mean"):
            table.add_column(column)
        for s in series:
            table.add_row(s.component, s.kind, s.resource, f"{s.peak or 0.0:.1f}%", f"{s.mean or 0.0:.1f}%")
        out.print(table)


def _document(outcome: StressOutcome, run_id: int) -> StressDocument:
    return StressDocument(
        run=run_id,
        passed=outcome.passed,
        interrupted=outcome.interrupted,
        scenario=outcome.scenario.to_json(),
        verdicts=outcome.verdicts,
        limit=outcome.limit.describe() if outcome.limit is not None else None,
        not_evaluated=outcome.not_evaluated,
        results=outcome.results,
    )


def _junit(outcome: StressOutcome) -> str:
    failures = sum(not v.passed for v in outcome.verdicts)
    suites = ElementTree.Element("testsuites", name=f"infragate stress {outcome.scenario.environment}")
    suite = ElementTree.SubElement(
        suites, "testsuite", name="slo", tests=str(len(outcome.verdicts)), failures=str(failures)
    )
    for v in outcome.verdicts:
        case = ElementTree.SubElement(suite, "testcase", classname="stress.slo", name=v.name)
        if not v.passed:
            ElementTree.SubElement(case, "failure", message=v.detail, type="ICP-3.3")
    ElementTree.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suites, encoding="unicode") + "\n"


def approve_stress(
    env: str = typer.Option(..., "--env", "-e", help="The environment."),
    design_file: Path | None = identity.DESIGN,
    comment: str = typer.Option("", "--comment", "-m"),
    acting_as: str | None = identity.AS,
) -> None:
    """Approve the environment's stress plan (scenario, load profile and caps) by its digest, as a lead:
    production is stress-tested only with an approved plan (ICP-1.4, ICP-3.3).

    Example:

      INFRAGATE_USER=lena.lead@example.com infragate approve stress --env production -m 'off-peak, caps checked'
    """
    from infragate.workflow.stress_testing import ApproveStressPlan

    client, chosen = for_design(design_file, acting_as=acting_as)
    if chosen.digest is None:
        raise UsageError(
            "a stress plan is approved from the design file it was reviewed in",
            hint=f"Give the design: infragate approve stress --env {env} -d infragate.yaml",
        )
    approved = client.execute(
        ApproveStressPlan(project=chosen.project, environment=env, design_digest=chosen.digest, comment=comment)
    )
    out.print(f"stress plan {approved.digest[:19]}… for {chosen.project}/{env} approved", markup=False)


@app.command("worker")
def worker(
    master: str = typer.Option(..., "--master", help="The master's HOST:PORT."),
    env: str = typer.Option(..., "--env", "-e", help="The environment (the same design as the master's)."),
    design_file: Path | None = identity.DESIGN,
) -> None:
    """Run a Locust worker for a master on another machine (`infragate stress --expect-workers N`), with the
    scenario this design gives the environment, until the master stops it.

    Example:

      infragate stress worker --master 10.0.0.5:5557 --env staging -d infragate.yaml
    """
    import tempfile

    from infragate.stress import runner
    from infragate.workflow.stress_testing import GetStressPlan

    client, chosen = for_design(design_file)
    planned = GetStressPlan(project=chosen.project, environment=env, to_run=True, approval=False)
    scenario = client.execute(planned).scenario
    with tempfile.TemporaryDirectory(prefix="infragate-stress-worker-") as folder:
        code = runner.worker(scenario, Path(folder), master)
    raise typer.Exit(code)
