"""How soon an idle worker starts a queued job (target: within 1 s on the SQLite queue), and on Redis.

Starts `infragate worker` on a fresh home, lets it go idle, then queues small jobs one at a time and measures
from the queue record's requested_at to its started_at. Prints the figures; asserts nothing about time.

    python bench/jobs.py [--jobs 10] [--redis redis://127.0.0.1:6379/14]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from infragate.aws import EmbeddedAws
from infragate.design import load_design
from infragate.jobs.queue import make_queue
from infragate.settings import load_settings
from infragate.store import jobs as job_store
from infragate.workflow.bus import handle
from infragate.workflow.context import Caller, open_unit_of_work
from infragate.workflow.memberships import RegisterProject

ROOT = Path(__file__).resolve().parents[1]
DESIGN = ROOT / "examples" / "webshop" / "infragate.yaml"


def measure(queue_url: str | None, count: int) -> list[float]:
    with tempfile.TemporaryDirectory() as home:
        os.environ["INFRAGATE_HOME"] = home
        os.environ.pop("INFRAGATE_DATABASE_URL", None)
        os.environ.pop("INFRAGATE_QUEUE_URL", None)
        if queue_url:
            os.environ["INFRAGATE_QUEUE_URL"] = queue_url
        settings = load_settings()
        uow = open_unit_of_work(settings)
        uow.designs.use(load_design(DESIGN))
        handle(RegisterProject(project="webshop"), Caller("bench"), uow)
        store, queue = uow.store, make_queue(settings)
        worker = subprocess.Popen([sys.executable, "-m", "infragate", "worker"], stderr=subprocess.DEVNULL)
        try:
            time.sleep(3)  # idle: the worker has backed off to its longest poll interval
            delays = []
            for _ in range(count):
                job = job_store.create(
                    store, project="webshop", environment="staging", kind="verify", requested_by="bench"
                )
                queue.enqueue(job.id)
                while (current := job_store.get(store, job.id)) is not None and current.started_at is None:
                    time.sleep(0.01)
                assert current is not None and current.started_at is not None
                delays.append((current.started_at - current.requested_at).total_seconds())
                while (current := job_store.get(store, job.id)) is not None and current.state in job_store.ACTIVE:
                    time.sleep(0.05)
                time.sleep(1.5)  # idle again before the next one
            return delays
        finally:
            worker.send_signal(signal.SIGINT)
            worker.wait(timeout=30)
            EmbeddedAws(Path(home)).stop()  # the jobs started it in this temporary home


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=10)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    for label, url in (("SQLite queue", None), ("Redis queue", args.redis)):
        delays = measure(url, args.jobs)
        print(
            f"{label}: queued -> started on an idle worker: median {statistics.median(delays) * 1000:.0f} ms, "
            f"max {max(delays) * 1000:.0f} ms over {len(delays)} jobs (target: under 1000 ms)"
        )


if __name__ == "__main__":
    main()
