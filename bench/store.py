"""Benchmark: the store with 10,000 findings across 50 projects.

Fills a fresh store (SQLite by default; pass --url for PostgreSQL) with 50 projects of 200 findings each,
through the same ingest path audits use, then times listing the open findings of one project and
generating one compliance report (JSON data and HTML). Prints the figures; asserts nothing about time.

    python bench/store.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from infragate.design import parse_design
from infragate.reporting import render_compliance_html
from infragate.settings import load_settings
from infragate.store import Store
from infragate.store.findings import Observed, ingest, open_findings
from infragate.store.projects import ensure_project
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.project import ProjectWork
from infragate.workflow.report import compliance_report

ROOT = Path(__file__).resolve().parents[1]
SEVERITIES = ("critical", "high", "medium", "low", "info")


def fill(store: Store, projects: int, per_project: int) -> None:
    for index in range(projects):
        with store.session() as session:
            project = ensure_project(session, f"project-{index:02d}", "Bench Ltd", "infragate.yaml", ["production"])
            observed = [
                Observed(
                    f"fp-{index}-{n}", f"NET-{n % 7 + 1:03d}", f"component-{n}", SEVERITIES[n % 5], "title", "message"
                )
                for n in range(per_project)
            ]
            ingest(
                session, project_id=project.id, environment="production", source="audit", run_id=None, observed=observed
            )


def timed(repeat: int, work: object) -> tuple[float, list[float]]:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()  # type: ignore[operator]
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=None, help="database URL (default: a new SQLite file)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="infragate-bench-") as directory:
        url = args.url or f"sqlite:///{Path(directory) / 'bench.db'}"
        store = Store(url)
        store.upgrade()
        started = time.perf_counter()
        fill(store, 50, 200)
        print(
            f"store {store.engine.url.render_as_string(hide_password=True)}: 10,000 findings in 50 projects "
            f"written in {time.perf_counter() - started:.1f} s"
        )

        with store.session() as session:
            project_id = ensure_project(session, "project-25", "Bench Ltd", "infragate.yaml", ["production"]).id

        def list_open() -> None:
            with store.session() as session:
                assert len(open_findings(session, project_id)) == 200

        median, runs = timed(args.repeat, list_open)
        print(
            f"list open findings of one project: median {median * 1000:.1f} ms "
            f"(runs: {', '.join(f'{t * 1000:.1f}' for t in runs)})"
        )

        data = yaml.safe_load((ROOT / "examples" / "webshop" / "infragate.yaml").read_text())
        data["project"]["name"] = "project-25"
        design = parse_design(yaml.safe_dump(data), "project-25.yaml")
        work = ProjectWork(UnitOfWork(store, load_settings()), design, Caller("bench"))
        with store.session() as session:  # the bench findings live in "production", as in the example
            work.register(session)

        def report() -> None:
            render_compliance_html(compliance_report(work, "production"))

        median, runs = timed(args.repeat, report)
        print(
            f"generate one compliance report (data + HTML): median {median * 1000:.0f} ms "
            f"(runs: {', '.join(f'{t * 1000:.0f}' for t in runs)})"
        )
        store.engine.dispose()


if __name__ == "__main__":
    main()
