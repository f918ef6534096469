"""`newsbridge review serve`: the browser review app, a thin Starlette layer over tasks/review/app.py.

Routes: `GET /` (index, filters in the query string), `GET /doc/{source_id}` (document
page), `GET /static/...` (the app's own JS/CSS), `POST /api/segments/{segment_id}`
(JSON {text, state, version} + header X-CSRF-Token), `POST /api/links/{source_id}/{n}` (JSON
{decision: confirm|reject, version}: a translator's decision on an unsure story link). Every request passes the Host
check and, when NEWSBRIDGE_REVIEW_TOKEN is set, the reviewer token check; every answer
carries the Content-Security-Policy and the other security headers.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any, Awaitable, Callable
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from tasks.review import app as review_app
from tasks.review.reviews import ReviewConflict

TOKEN_COOKIE = "newsbridge_review_token"


def create_app(
    output_dir: Path,
    *,
    csrf: str,
    allowed: set[str],
    token: str | None = None,
    reviewer: str | None = None,
    pivot: str = "en",
    tm_location: str | None = None,
) -> Starlette:
    """The review app over one output directory (tm_location: the translation memory it writes)."""
    from tasks.translate.memory import open_memory

    tm = tm_location or str(output_dir / "tm.sqlite")

    def page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = review_app.render(template, csrf=csrf, csp=review_app.CSP, reviewer=reviewer, **context)
        return HTMLResponse(html, status_code=status)

    def index(request: Request) -> Response:
        filters = review_app.IndexFilters.from_query(request.query_params)
        return page("index.html", **review_app.index_view(output_dir, filters))

    def document(request: Request) -> Response:
        view = review_app.document_view(output_dir, request.path_params["source_id"])
        if view is None:
            return PlainTextResponse("no stored document for this source", status_code=404)
        return page("document.html", **view)

    async def read_payload(request: Request) -> Any:
        """A write's JSON body, after the CSRF token and the size limit; or the refusal to send."""
        if not review_app.same_secret(csrf, request.headers.get("x-csrf-token")):
            return JSONResponse({"error": "missing or wrong X-CSRF-Token (reload the page: the server may have restarted)"}, status_code=403)
        body = await request.body()
        if len(body) > review_app.MAX_BODY_BYTES:
            return JSONResponse({"error": "request body too large"}, status_code=413)
        try:
            return json.loads(body)
        except ValueError:
            return JSONResponse({"error": "body is not JSON"}, status_code=400)

    async def write(request: Request) -> Response:
        payload = await read_payload(request)
        if isinstance(payload, Response):
            return payload
        def save() -> dict[str, Any]:
            with open_memory(tm) as memory:
                return review_app.write_segment(
                    output_dir, request.path_params["segment_id"], payload, memory, reviewer=reviewer, pivot=pivot
                )

        try:
            view = await run_in_threadpool(save)
        except ReviewConflict as exc:
            return JSONResponse(
                {"error": "this segment changed since the page was loaded; nothing was overwritten", "current": exc.current},
                status_code=409,
            )
        except review_app.ReviewRequestError as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        return JSONResponse(view)

    async def decide(request: Request) -> Response:
        payload = await read_payload(request)
        if isinstance(payload, Response):
            return payload

        def save() -> dict[str, Any]:
            with open_memory(tm) as memory:
                return review_app.write_link(
                    output_dir, request.path_params["source_id"], int(request.path_params["n"]), payload, memory, reviewer=reviewer
                )

        try:
            view = await run_in_threadpool(save)
        except ReviewConflict as exc:
            return JSONResponse({"error": "this link changed since the page was loaded; nothing was written", "current": exc.current},
                                status_code=409)
        except review_app.ReviewRequestError as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        return JSONResponse(view)

    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await _check(request, call_next, allowed=allowed, token=token)
        for name, value in review_app.SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return Starlette(
        routes=[
            Route("/", index),
            Route("/doc/{source_id}", document),
            Route("/api/segments/{segment_id}", write, methods=["POST"]),
            Route("/api/links/{source_id}/{n:int}", decide, methods=["POST"]),
            Route("/static/page.css", lambda request: FileResponse(review_app.PAGE_CSS, media_type="text/css")),
            Mount("/static", app=StaticFiles(directory=review_app.STATIC_DIR), name="static"),
        ],
        middleware=[Middleware(BaseHTTPMiddleware, dispatch=guard)],
    )


async def _check(
    request: Request, call_next: Callable[[Request], Awaitable[Response]], *, allowed: set[str], token: str | None
) -> Response:
    """Host header, then the reviewer token (header, cookie, or ?token= once, which sets the cookie)."""
    if not review_app.host_allowed(request.headers.get("host"), allowed):
        return PlainTextResponse("unknown Host header", status_code=400)
    if request.method == "POST":
        origin = request.headers.get("origin")
        if origin is not None and origin.split("://", 1)[-1].lower() not in allowed and "*" not in allowed:
            return JSONResponse({"error": "cross-origin request refused"}, status_code=403)
    if token:
        auth = request.headers.get("authorization", "")
        presented = auth[7:] if auth.lower().startswith("bearer ") else request.cookies.get(TOKEN_COOKIE)
        query_token = request.query_params.get("token")
        if request.method == "GET" and query_token is not None and review_app.same_secret(token, query_token):
            rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            target = request.url.path + ("?" + urlencode(rest) if rest else "")
            redirect = RedirectResponse(target, status_code=303)
            redirect.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict", path="/")
            return redirect
        if not review_app.same_secret(token, presented):
            return PlainTextResponse(
                "this review server needs the reviewer token: open the address with ?token=<NEWSBRIDGE_REVIEW_TOKEN>",
                status_code=401,
            )
    return await call_next(request)


def url_for(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve(
    output_dir: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    token: str | None = None,
    reviewer: str | None = None,
    pivot: str = "en",
    tm_location: str | None = None,
    announce: Callable[[str], None] = print,
) -> None:
    """Bind, announce `review: <URL>` (the real port), serve until stopped (SIGINT/SIGTERM)."""
    import uvicorn

    review_app.check_bind(host, token)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host.strip("[]"), port), family=family)
    real_port = sock.getsockname()[1]
    app = create_app(
        output_dir,
        csrf=review_app.new_csrf_token(),
        allowed=review_app.allowed_hosts(host, real_port),
        token=token,
        reviewer=reviewer,
        pivot=pivot,
        tm_location=tm_location,
    )
    announce(f"review: {url_for(host, real_port)}")
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", server_header=False, proxy_headers=False)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
