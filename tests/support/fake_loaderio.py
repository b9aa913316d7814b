"""A local stand-in for Loader.io's API v2 (as ../shared/reference/service-apis.md §2 documents it): the
loaderio-auth key, apps listed two per page (Link: rel="next"), registration and verification, tests created
and run, results not ready and then ready, the documented error shape, and one 429 with Retry-After."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.support.servers import free_port, serving

KEY = "fake-loaderio-key"


def _error(status: int, *errors: str) -> JSONResponse:
    return JSONResponse({"message": "error", "errors": list(errors)}, status_code=status)


@dataclass
class FakeLoaderIo:
    url: str = ""
    apps: list[dict[str, Any]] = field(default_factory=list)
    verifiable: set[str] = field(default_factory=set)  # domains that serve their token
    tests: dict[str, dict[str, Any]] = field(default_factory=dict)
    polls: int = 0
    throttle_next: bool = False
    calls: list[str] = field(default_factory=list)


def _app(fake: FakeLoaderIo) -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def auth(request: Request, call_next: Any) -> Any:
        fake.calls.append(f"{request.method} {request.url.path}")
        if request.headers.get("loaderio-auth") != KEY:
            return _error(401, "invalid api key")
        if fake.throttle_next:
            fake.throttle_next = False
            return JSONResponse(
                {"message": "error", "errors": ["rate limited"]}, status_code=429, headers={"Retry-After": "0"}
            )
        return await call_next(request)

    @app.get("/v2/apps")
    def apps(page: int = 1) -> JSONResponse:
        chunk = fake.apps[(page - 1) * 2 : page * 2]
        headers = {"Link": f'<{fake.url}/v2/apps?page={page + 1}>; rel="next"'} if len(fake.apps) > page * 2 else {}
        return JSONResponse(chunk, headers=headers)

    @app.post("/v2/apps")
    async def register(request: Request) -> JSONResponse:
        body = await request.json()
        app_id = secrets.token_hex(8)
        fake.apps.append({"app": body["app"], "app_id": app_id, "status": "unverified"})
        return JSONResponse({"app_id": app_id, "message": "success", "verification_id": f"loaderio-{app_id}"})

    @app.post("/v2/apps/{app_id}/verify")
    def verify(app_id: str) -> JSONResponse:
        found = next((a for a in fake.apps if a["app_id"] == app_id), None)
        if found is None:
            return _error(404, "app not found")
        if found["app"] not in fake.verifiable:
            return JSONResponse(
                {"app_id": app_id, "errors": [f"can't verify domain {found['app']}"], "message": "error"}
            )
        found["status"] = "verified"
        return JSONResponse({"app_id": app_id, "message": "success"})

    @app.post("/v2/tests")
    async def create(request: Request) -> JSONResponse:
        body = await request.json()
        missing = [k for k in ("test_type", "urls", "duration", "initial", "total") if k not in body]
        if missing:
            return _error(422, *(f"{k} is required" for k in missing))
        domains = {u["url"].split("/")[2] for u in body["urls"]}
        if not domains <= {a["app"] for a in fake.apps if a["status"] == "verified"}:
            return _error(422, "the app is not verified")
        test_id, result_id = secrets.token_hex(8), secrets.token_hex(8)
        fake.tests[test_id] = {"spec": body, "result_id": result_id, "started": time.time()}
        return JSONResponse({"message": "success", "result_id": result_id, "status": "running", "test_id": test_id})

    @app.get("/v2/tests/{test_id}/results/{result_id}")
    def result(test_id: str, result_id: str) -> JSONResponse:
        test = fake.tests.get(test_id)
        if test is None or test["result_id"] != result_id:
            return _error(404, "result not found")
        fake.polls += 1
        if fake.polls < 2:
            return JSONResponse({"result_id": result_id, "status": "not_ready"})
        spec = test["spec"]
        total = spec["total"] * spec["duration"]
        return JSONResponse(
            {
                "avg_error_rate": 0.002,
                "avg_response_time": 42,
                "data_received": 1,
                "data_sent": 1,
                "error": 2,
                "network_error": 0,
                "public_results_url": f"http://loader.io/reports/{test_id}/results/{result_id}",
                "result_id": result_id,
                "started_at": "2026-11-27T10:00:00Z",
                "status": "ready",
                "success": total - 2,
                "timeout_error": 0,
            }
        )

    @app.put("/v2/tests/{test_id}/stop")
    def stop(test_id: str) -> JSONResponse:
        return JSONResponse({"message": "success", "test_id": test_id, "status": "complete"})

    return app


@contextmanager
def running() -> Iterator[FakeLoaderIo]:
    fake = FakeLoaderIo()
    port = free_port()
    fake.url = f"http://127.0.0.1:{port}"  # its Link headers name it
    with serving(_app(fake), port):
        yield fake
