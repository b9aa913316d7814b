"""The fake GitHub and CircleCI of the tests, as a program for the example's walkthrough: they stand in for
the real services, speak their documented APIs, and sign their webhooks as the real ones do.

    python -m tests.support.fake_services --infragate http://127.0.0.1:8080 \\
        --github-secret demo-gh --circleci-secret demo-cci

Then ``POST http://127.0.0.1:9102/_fake/run`` with ``{"sha": "<40 hex>", "jobs": ["test", …]}`` plays a
CircleCI workflow run: each build job's signed ``job-completed`` goes to infragate's /webhooks/circleci (a
name like ``hold-production`` is an approval job, which the API shows and no webhook reports).
"""

from __future__ import annotations

import argparse
import threading

import uvicorn
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.fake_circleci import TOKEN as CIRCLECI_TOKEN
from tests.support.fake_circleci import FakeCircleCI, Job
from tests.support.fake_github import TOKEN as GITHUB_TOKEN
from tests.support.fake_github import FakeGitHub


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--infragate", required=True, help="The infragate server's address (its /webhooks/…).")
    parser.add_argument("--github-secret", required=True, help="INFRAGATE_GITHUB_WEBHOOK_SECRET of the server.")
    parser.add_argument("--circleci-secret", required=True, help="INFRAGATE_CIRCLECI_WEBHOOK_SECRET of the server.")
    parser.add_argument("--github-port", type=int, default=9101)
    parser.add_argument("--circleci-port", type=int, default=9102)
    args = parser.parse_args()
    server = args.infragate.rstrip("/")
    github = FakeGitHub(hook_url=f"{server}/webhooks/github", hook_secret=args.github_secret)
    circleci = FakeCircleCI(hook_url=f"{server}/webhooks/circleci", hook_secret=args.circleci_secret)
    circleci_app = circleci.app()

    async def run(request: Request) -> Response:
        body = await request.json()
        jobs = [Job(name, type="approval" if name.startswith("hold-") else "build") for name in body["jobs"]]
        # Off the event loop: infragate reads this fake's API while it takes the webhooks sent here.
        workflow = await run_in_threadpool(circleci.run, str(body["sha"]), jobs)
        answers = [f"{r.status_code} {r.json().get('outcome') or r.json().get('detail')}" for r in circleci.delivered]
        circleci.delivered.clear()
        return JSONResponse({"workflow": workflow, "infragate_answered": answers})

    circleci_app.router.routes.append(Route("/_fake/run", run, methods=["POST"]))
    print(f"fake GitHub on http://127.0.0.1:{args.github_port} (token {GITHUB_TOKEN})", flush=True)
    print(f"fake CircleCI on http://127.0.0.1:{args.circleci_port}/api/v2 (token {CIRCLECI_TOKEN})", flush=True)
    threading.Thread(
        target=uvicorn.run, args=(github.app(),), kwargs={"port": args.github_port, "log_level": "warning"}, daemon=True
    ).start()
    uvicorn.run(circleci_app, port=args.circleci_port, log_level="warning")


if __name__ == "__main__":
    main()
