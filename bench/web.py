"""Benchmark: the server under 50 concurrent users (Locust, run as a subprocess).

Fills a fresh store with 50 projects (each a copy of the webshop example under its own name, with two
environments) and 10,000 findings, gives one lead membership of every project, starts `infragate serve` on
127.0.0.1, and runs Locust headless: 50 users browsing the portfolio and environment pages (signed in) and
reading the findings API (with a token). Each simulated person has a browser session
made beforehand (signing in is Argon2id, slow on purpose, and measured apart: --sign-ins); the figures count
from when all of them are there (--reset-stats). Prints p50/p95/p99 per request kind and the
failure count; the target is p95 under 150 ms with no errors. Asserts nothing about time.

    python bench/web.py [--users 50] [--seconds 30] [--url postgresql+psycopg://postgres@127.0.0.1:5432/test]

With --url, the store lives in the schema infragate_bench of that database (dropped and made again).
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

import yaml

from common import free_port  # bench/ is on the path when a script runs

ROOT = Path(__file__).resolve().parents[1]
WEBSHOP = ROOT / "examples" / "webshop" / "infragate.yaml"
LEAD = "bench.lead@example.com"
PASSWORD = "bench-password-123"
PROJECTS, FINDINGS = 50, 10_000

LOCUSTFILE = textwrap.dedent(
    """
    import os, random
    from locust import HttpUser, task, between

    PROJECTS = int(os.environ["BENCH_PROJECTS"])
    TOKEN = os.environ["BENCH_TOKEN"]
    SESSIONS = os.environ["BENCH_SESSIONS"].split(",")
    NEXT = iter(range(10**9))

    class Person(HttpUser):
        wait_time = between(0.5, 1.5)

        def on_start(self):
            if os.environ.get("BENCH_SIGN_IN") == "1":
                person = {"name": os.environ["BENCH_USER"], "password": os.environ["BENCH_PASSWORD"]}
                self.client.post("/login", data=person)
            else:  # a session made beforehand, as a signed-in browser has
                self.client.cookies.set("infragate_session", SESSIONS[next(NEXT) % len(SESSIONS)])

        def page(self, path, name):
            # A redirect to /login means the session was lost: count it as a failure, not a fast page.
            with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
                if response.status_code != 200:
                    response.failure(f"status {response.status_code}")

        @task(3)
        def portfolio(self):
            self.page("/", "portfolio page")

        @task(2)
        def environment(self):
            project = f"shop{random.randrange(PROJECTS):02d}"
            self.page(f"/projects/{project}/environments/staging", "environment page")

        @task(3)
        def findings(self):
            project = f"shop{random.randrange(PROJECTS):02d}"
            self.client.get(f"/api/v1/projects/{project}/findings?limit=50",
                            headers={"Authorization": f"Bearer {TOKEN}"}, name="findings API")
    """
)


def fill(home: Path, url: str, sessions: int) -> tuple[str, list[str]]:
    """The store: 50 projects, 10,000 findings, LEAD a lead everywhere. Returns an API token for LEAD and
    ``sessions`` browser sessions of LEAD."""
    os.environ["INFRAGATE_HOME"] = str(home)
    os.environ["INFRAGATE_DATABASE_URL"] = url
    from infragate.design import load_design
    from infragate.store.findings import Observed, ingest
    from infragate.workflow import accounts
    from infragate.workflow.bus import handle
    from infragate.workflow.context import Caller, open_unit_of_work
    from infragate.workflow.gatekeeping import RefreshStage
    from infragate.workflow.memberships import ApplyMemberships
    from infragate.workflow.project import ProjectWork
    from infragate.workflow.users import create_admin

    uow = open_unit_of_work()
    store, admin = uow.store, Caller("bench.admin@example.com")
    create_admin(store, admin.name)
    data = yaml.safe_load(WEBSHOP.read_text())
    per_project = FINDINGS // PROJECTS
    severities = ("critical", "high", "medium", "low")
    for index in range(PROJECTS):
        data["project"]["name"] = f"shop{index:02d}"
        data["project"]["client"] = f"Client {index % 7}"
        data["project"]["owners"]["lead"] = [LEAD]
        path = home / f"shop{index:02d}.yaml"
        path.write_text(yaml.safe_dump(data))
        design = load_design(path)
        uow.designs.use(design)
        handle(ApplyMemberships(project=design.project.name), admin, uow)
        with store.session() as session:
            project = ProjectWork(uow, design, admin).register(session)
            observed = [
                Observed(f"fp-{index}-{n}", f"NET-{n % 9:03d}", f"web-{n}", severities[n % 4], f"finding {n}", "bench")
                for n in range(per_project)
            ]
            ingest(
                session, project_id=project.id, environment="staging", source="audit", run_id=None, observed=observed
            )
        handle(RefreshStage(project=design.project.name, environment="staging"), Caller(LEAD), uow)
    accounts.set_password(store, None, LEAD, PASSWORD)
    _info, token = accounts.create_token(store, LEAD, "bench", projects=[], roles=[], days=1)
    cookies = [accounts.start_session(store, LEAD)[0] for _ in range(sessions)]
    store.engine.dispose()
    return token, cookies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--url", help="the store (default: SQLite in a temporary home)")
    parser.add_argument("--workers", type=int, default=1, help="infragate serve --workers")
    parser.add_argument("--sign-ins", action="store_true", help="each person signs in with a password first")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="infragate-web-bench-") as directory:
        home = Path(directory)
        url = args.url or f"sqlite:///{home / 'infragate.db'}"
        if url.startswith("postgresql"):  # a schema of its own, emptied first: nothing else in the database is touched
            import sqlalchemy as sa

            engine = sa.create_engine(url)
            with engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA IF EXISTS infragate_bench CASCADE"))
                connection.execute(sa.text("CREATE SCHEMA infragate_bench"))
            engine.dispose()
            url += ("&" if "?" in url else "?") + "options=-csearch_path%3Dinfragate_bench"
        started = time.perf_counter()
        token, sessions = fill(home, url, args.users)
        took = time.perf_counter() - started
        print(f"store ({url.split(':')[0]}): {PROJECTS} projects, {FINDINGS} findings in {took:.1f} s")
        port = free_port()
        env = {
            **os.environ,
            "INFRAGATE_HOME": str(home),
            "INFRAGATE_DATABASE_URL": url,
            "INFRAGATE_DAEMON": "off",
            "INFRAGATE_SIGN_IN_LIMIT": "1000",  # every simulated person signs in from 127.0.0.1
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "infragate", "serve", "--port", str(port), "--workers", str(args.workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(200):
                try:
                    urllib.request.urlopen(f"{base}/login", timeout=1).read()
                    break
                except OSError:
                    time.sleep(0.1)
            locustfile = home / "locustfile.py"
            locustfile.write_text(LOCUSTFILE)
            bench_env = {
                **env,
                "BENCH_PROJECTS": str(PROJECTS),
                "BENCH_TOKEN": token,
                "BENCH_USER": LEAD,
                "BENCH_PASSWORD": PASSWORD,
                "BENCH_SESSIONS": ",".join(sessions),
                "BENCH_SIGN_IN": "1" if args.sign_ins else "0",
            }
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "locust",
                    "-f",
                    str(locustfile),
                    "--headless",
                    "-u",
                    str(args.users),
                    "-r",
                    "10",  # ten people a second sign in; the figures count from when all of them have
                    "--reset-stats",
                    "-t",
                    f"{args.seconds}s",
                    "--host",
                    base,
                    "--csv",
                    str(home / "bench"),
                    "--only-summary",
                ],
                env=bench_env,
                check=False,  # Locust exits 1 when a request failed: the failures are printed below
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            with (home / "bench_stats.csv").open() as handle:
                for row in csv.DictReader(handle):
                    print(
                        f"{row['Name']:<18} {row['Request Count']:>6} requests, {row['Failure Count']} failed; "
                        f"p50 {row['50%']} ms, p95 {row['95%']} ms, p99 {row['99%']} ms (target p95 < 150 ms)"
                    )
            failures = home / "bench_failures.csv"
            if failures.exists():
                with failures.open() as handle:
                    for row in list(csv.DictReader(handle))[:5]:
                        print(f"failure: {row['Method']} {row['Name']}: {row['Error']} ({row['Occurrences']}x)")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
