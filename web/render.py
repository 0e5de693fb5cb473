"""Rendering the page data: the Jinja2 environment (the workbench's templates and the report's),
JSON, and the endpoints that turn a page-data function into an HTML page or its `/api/` twin,
cached per store stamp for the pages that depend on the store alone.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

import reports
from reports import model
from storage import queries_web as q
from web.charts import figure_charts
from web.workbench import Workbench, label, ref_link


@cache
def templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [jinja2.PackageLoader("web", "templates"), jinja2.PackageLoader("reports", "templates")]
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(model.template_filters(), urlq=lambda s: quote(str(s), safe=""))
    env.globals.update(label=label, ref_link=ref_link, figure_charts=figure_charts)
    return env


@cache
def report_css() -> str:
    """The weekly report's own stylesheet, taken from its template so both stay one design."""
    src = (Path(reports.__file__).resolve().parent / "templates" / "report.html.j2").read_text(
        encoding="utf-8"
    )
    m = re.search(r"<style>(.*?)</style>", src, re.S)
    return m.group(1) if m else ""


def html_page(template: str, code: int = 200, **ctx: Any) -> HTMLResponse:
    return HTMLResponse(templates().get_template(template).render(**ctx), status_code=code)


def json_response(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(jsonable(data), status_code=status)


def jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple | set):
        return [jsonable(x) for x in v]
    if isinstance(v, datetime | date):
        return v.isoformat()
    return v


Handler = Callable[[Workbench, Request], dict[str, Any]]


# Pages whose data depends on the store alone (not on the clock): computed once per store stamp.
CACHED = frozenset(
    {
        "installments_data",
        "installment_data",
        "zones_data",
        "zone_data",
        "indicators_data",
        "indicator_data",
        "reports_data",
    }
)


def request_key(wb: Workbench, request: Request, *what: str) -> tuple[Any, ...]:
    """A memo key for what one request shows: `what`, its path and query, the store's stamp."""
    return (*what, request.url.path, str(request.query_params), q.store_stamp(wb.engine))


def render_page(template: str, data: dict[str, Any], request: Request) -> str:
    """A page template over its data (the request's path and query make its links and forms)."""
    return (
        templates()
        .get_template(template)
        .render(data=data, request_path=request.url.path, query=request.query_params)
    )


def data_for(data_fn: Handler, wb: Workbench, request: Request) -> dict[str, Any]:
    if data_fn.__name__ not in CACHED:
        return data_fn(wb, request)
    return wb.memo(request_key(wb, request, "data", data_fn.__name__), lambda: data_fn(wb, request))


def page_route(data_fn: Handler, template: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        wb: Workbench = request.app.state.wb

        def page() -> str:
            data = data_for(data_fn, wb, request)

            if data_fn.__name__ not in CACHED:
                return render_page(template, data, request)
            key = request_key(wb, request, "html", template)
            return wb.memo(key, lambda: render_page(template, data, request))

        return HTMLResponse(await run_in_threadpool(page))

    return endpoint


def api_route(data_fn: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        wb: Workbench = request.app.state.wb
        return json_response(await run_in_threadpool(data_for, data_fn, wb, request))

    return endpoint
