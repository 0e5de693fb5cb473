"""The analyst's workbench: a read-only Starlette app over the store (`chihwatch serve`).

Every page is built from one data function returning a plain dict (web/pages.py); `/api/...`
returns that same dict as JSON and the HTML page renders it through Jinja2 (web/render.py:
autoescaped, the report's macros and styles). Downloads, the raw page, the feed and the report files
are in web/downloads.py, the shared state and request helpers in web/workbench.py. This module
wires the routes, the error pages and the security headers. Routes are a contract:
docs/CONTRACTS.md and docs/web.md.
"""

from __future__ import annotations

import logging
import time as _time
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from chihwatch.errors import ChihwatchError, NotFound
from storage.store import Store
from web.downloads import api_index, favicon, feed, indicator_page, raw_page, report_page, style
from web.pages import (
    archive_data,
    diff_data,
    home_data,
    indicator_data,
    indicators_data,
    installment_data,
    installments_data,
    report_data,
    reports_data,
    search_data,
    zone_data,
    zones_data,
)
from web.render import Handler, api_route, html_page, json_response, page_route
from web.workbench import Problem, Redirect, Workbench

__all__ = ["create_app", "CSP", "Problem"]


log = logging.getLogger(__name__)


# Everything the app serves comes from itself; no script at all, no external resource.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


def _error(request: Request, status: int, message: str) -> Response:
    if _is_api(request):
        return json_response({"error": message, "status": status}, status)
    return html_page(
        "error.html.j2",
        status,
        status=status,
        message=message,
        request_path=request.url.path,
        query=request.query_params,
    )


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return _error(request, exc.status, exc.message)


async def _redirect(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Redirect)
    prefix = "/api" if _is_api(request) else ""
    return RedirectResponse(prefix + exc.location, status_code=301)


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    msg = "没有这个页面" if exc.status_code == 404 else str(exc.detail)
    return _error(request, exc.status_code, msg)


async def _domain(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ChihwatchError)
    if isinstance(exc, NotFound):
        return _error(request, 404, str(exc))
    log.error("request %s failed: %s", request.url.path, exc)
    return _error(request, 503, f"数据库暂时不可用：{' '.join(str(exc).split())[:200]}")


async def _internal(request: Request, exc: Exception) -> Response:
    log.error("request %s failed", request.url.path, exc_info=exc)
    return _error(request, 500, f"内部错误（{type(exc).__name__}），已记录在服务器日志中")


class SecurityHeaders:
    """CSP and friends on every answer (a route may set its own stricter CSP)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = {
                    b"content-security-policy": CSP.encode(),
                    b"x-content-type-options": b"nosniff",
                    b"referrer-policy": b"no-referrer",
                    b"x-frame-options": b"DENY",
                    b"cross-origin-opener-policy": b"same-origin",
                }
                for k, v in extra.items():
                    if k not in names:
                        headers.append((k, v))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(store: Store, *, check_every: float = 2.0, build_index: bool = True) -> Starlette:
    """The workbench over `store` (open it with web.readonly.open_readonly)."""
    wb = Workbench(store, check_every=check_every)
    pages: list[tuple[str, Handler, str]] = [
        ("/", home_data, "home.html.j2"),
        ("/installments", installments_data, "installments.html.j2"),
        ("/installments/{ref}", installment_data, "installment.html.j2"),
        ("/installments/{ref}/diff", diff_data, "diff.html.j2"),
        ("/installments/{ref}/archive", archive_data, "archive.html.j2"),
        ("/zones", zones_data, "zones.html.j2"),
        ("/zones/{name}", zone_data, "zone.html.j2"),
        ("/indicators", indicators_data, "indicators.html.j2"),
        ("/search", search_data, "search.html.j2"),
        ("/reports", reports_data, "reports.html.j2"),
    ]
    apis: list[tuple[str, Handler]] = [
        ("/api/home", home_data),
        ("/api/installments", installments_data),
        ("/api/installments/{ref}", installment_data),
        ("/api/installments/{ref}/diff", diff_data),
        ("/api/zones", zones_data),
        ("/api/zones/{name}", zone_data),
        ("/api/indicators", indicators_data),
        ("/api/indicators/{indicator}", indicator_data),
        ("/api/search", search_data),
        ("/api/reports", reports_data),
        ("/api/reports/{start}", report_data),
    ]
    routes = [Route(path, page_route(fn, tpl), methods=["GET", "HEAD"]) for path, fn, tpl in pages]
    routes += [
        Route("/installments/{ref}/raw", raw_page, methods=["GET", "HEAD"]),
        Route("/indicators/{indicator}", indicator_page, methods=["GET", "HEAD"]),
        Route("/reports/{start}", report_page, methods=["GET", "HEAD"]),
        Route("/feed.atom", feed, methods=["GET", "HEAD"]),
        Route("/static/web.css", style, methods=["GET", "HEAD"]),
        Route("/favicon.ico", favicon, methods=["GET", "HEAD"]),
        Route("/api", api_index, methods=["GET", "HEAD"]),
    ]
    routes += [Route(path, api_route(fn), methods=["GET", "HEAD"]) for path, fn in apis]

    async def startup() -> None:
        if build_index:
            from starlette.concurrency import run_in_threadpool

            await run_in_threadpool(wb.index.refresh, force=True)
            t = _time.perf_counter()
            figures = await run_in_threadpool(wb.all_figures)
            log.info("figures: %d read in %.2fs", len(figures), _time.perf_counter() - t)

    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app: Starlette):  # type: ignore[no-untyped-def]
        await startup()
        yield

    app = Starlette(
        routes=routes,
        exception_handlers={
            Problem: _problem,
            Redirect: _redirect,
            HTTPException: _http,
            ChihwatchError: _domain,
            500: _internal,
        },
        lifespan=lifespan,
    )
    app.add_middleware(SecurityHeaders)  # type: ignore[arg-type]
    app.state.wb = wb
    return app
