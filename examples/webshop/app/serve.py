"""The webshop example's application, for embedded environments: a catalogue, a basket, a health endpoint and
a JSON API (FastAPI), served over HTTPS with uvicorn, plus a plain-HTTP listener that redirects to HTTPS.

    python serve.py --host 127.0.0.1 --https-port 18443 --http-port 18080 --certfile cert.pem --keyfile key.pem

`infragate workload start --env staging` runs it with a certificate from a local CA that only the environment
trusts. The --broken-* flags make the faults the infrastructure tests must catch (used by infragate's tests).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import ssl
from typing import Any

import uvicorn
from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from pydantic import BaseModel, Field

PRODUCTS = [
    {"id": 1, "name": "Espresso cup", "price_cents": 900},
    {"id": 2, "name": "Pour-over kettle", "price_cents": 4500},
    {"id": 3, "name": "Coffee beans, 1 kg", "price_cents": 2600},
]
SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


class Line(BaseModel):
    product_id: int
    quantity: int = Field(1, ge=1, le=99)


def shop(*, headers: bool = True, status: int = 200, banner: str = "", loaderio_token: str = "") -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    baskets: dict[str, list[dict[str, int]]] = {}

    @app.middleware("http")
    async def protect(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        if headers:
            response.headers.update(SECURITY_HEADERS)
        if banner:
            response.headers["Server"] = banner
        return response

    @app.get("/", response_class=HTMLResponse)
    def catalogue() -> HTMLResponse:
        items = "".join(f"<li>{p['name']}: {p['price_cents'] / 100:.2f} EUR</li>" for p in PRODUCTS)
        return HTMLResponse(f"<!doctype html><title>Acme webshop</title><h1>Catalogue</h1><ul>{items}</ul>", status)

    if loaderio_token:  # Loader.io verifies a target by fetching its token from it (see infragate stress)
        token = loaderio_token if loaderio_token.startswith("loaderio-") else f"loaderio-{loaderio_token}"

        @app.get(f"/{token}/", response_class=PlainTextResponse)
        @app.get(f"/{token}.txt", response_class=PlainTextResponse)
        @app.get(f"/{token}.html", response_class=PlainTextResponse)
        def loaderio_verification() -> str:
            return token

    @app.get("/healthz")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/products")
    def products() -> list[dict[str, Any]]:
        return PRODUCTS

    @app.get("/api/products/{product_id}")
    def product(product_id: int) -> dict[str, Any]:
        found = next((p for p in PRODUCTS if p["id"] == product_id), None)
        if found is None:
            raise HTTPException(404, "no such product")
        return found

    @app.post("/api/basket")
    def add(line: Line, request: Request) -> JSONResponse:
        if not any(p["id"] == line.product_id for p in PRODUCTS):
            raise HTTPException(422, "no such product")
        basket_id = request.cookies.get("basket") or secrets.token_urlsafe(12)
        basket = baskets.setdefault(basket_id, [])
        basket.append(line.model_dump())
        response = JSONResponse({"basket": basket_id, "lines": basket, "count": sum(x["quantity"] for x in basket)})
        response.set_cookie("basket", basket_id, httponly=True, secure=True, samesite="strict")
        return response

    @app.get("/api/basket")
    def basket(request: Request) -> dict[str, Any]:
        lines = baskets.get(request.cookies.get("basket", ""), [])
        return {"lines": lines, "count": sum(x["quantity"] for x in lines)}

    return app


def redirector() -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.api_route("/{path:path}", methods=["GET", "HEAD", "POST"])
    def to_https(path: str, request: Request) -> RedirectResponse:
        host = (request.headers.get("host") or "localhost").split(":")[0]
        return RedirectResponse(f"https://{host}/{path}", status_code=301)

    return app


def tls_context(certfile: str, keyfile: str, *, old_tls: bool) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile, keyfile)
    if old_tls:  # a server still accepting TLS 1.0 (what the tests must catch)
        context.set_ciphers("ALL:@SECLEVEL=0")
        context.minimum_version = ssl.TLSVersion.TLSv1
    else:
        context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(["http/1.1"])
    return context


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--https-port", type=int, required=True)
    parser.add_argument("--http-port", type=int, default=0, help="a plain-HTTP listener redirecting to HTTPS")
    parser.add_argument("--certfile", required=True)
    parser.add_argument("--keyfile", required=True)
    parser.add_argument(
        "--loaderio-token",
        default=os.environ.get("LOADERIO_TOKEN", ""),
        help="serve Loader.io's verification token (loaderio-<app id>) at /loaderio-<app id>/",
    )
    parser.add_argument("--broken-headers", action="store_true", help="send no security headers")
    parser.add_argument("--broken-tls", action="store_true", help="accept TLS 1.0 and weak ciphers")
    parser.add_argument("--broken-status", action="store_true", help="answer / with 500")
    parser.add_argument("--broken-banner", action="store_true", help="announce the server's version")
    args = parser.parse_args()
    app = shop(
        headers=not args.broken_headers,
        status=500 if args.broken_status else 200,
        banner="nginx/1.25.3" if args.broken_banner else "",
        loaderio_token=args.loaderio_token,
    )
    secure = uvicorn.Config(
        app,
        host=args.host,
        port=args.https_port,
        log_level="warning",
        server_header=False,
        ssl_certfile=args.certfile,
        ssl_keyfile=args.keyfile,
    )
    secure.load()
    secure.ssl = tls_context(args.certfile, args.keyfile, old_tls=args.broken_tls)  # uvicorn serves with this
    servers = [uvicorn.Server(secure)]
    if args.http_port:
        plain = uvicorn.Config(
            redirector(), host=args.host, port=args.http_port, log_level="warning", server_header=False
        )
        servers.append(uvicorn.Server(plain))
    await asyncio.gather(*(server.serve() for server in servers))


if __name__ == "__main__":
    asyncio.run(main())
