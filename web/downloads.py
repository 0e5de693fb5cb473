"""The routes that answer something else than a page of data: an indicator's CSV/XLSX download,
the stored raw page (sandboxed), a weekly report file, the Atom feed, the stylesheet, the API index.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

import reports
from storage import queries_web as q
from web import figures as fig
from web.pages import indicator_data
from web.render import data_for, json_response, render_page, report_css, request_key
from web.workbench import Problem, Workbench, installment_of, report_period, revision_of

# The stored page in its sandboxed frame: no script, no request anywhere, not even its own images.
RAW_CSP = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
)


# The weekly report is one self-contained file with its own inline <style>.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


FEED_DAYS = 7  # the feed carries the last week of activity, like `chihwatch report --format atom`


STATIC = Path(__file__).resolve().parent / "static"


async def indicator_page(request: Request) -> Response:
    wb: Workbench = request.app.state.wb
    fmt = request.query_params.get("format") or "html"
    if fmt not in ("html", "csv", "xlsx"):
        raise Problem(400, f"参数 format 只能是 html / csv / xlsx，收到 {fmt!r}")

    def body() -> tuple[str, bytes | str]:
        data = data_for(indicator_data, wb, request)

        def make() -> bytes | str:
            if fmt == "html":
                return render_page("indicator.html.j2", data, request)
            return _csv(data["rows"]) if fmt == "csv" else _xlsx(data["rows"])

        return data["indicator"], wb.memo(request_key(wb, request, "indicator", fmt), make)

    indicator, content = await run_in_threadpool(body)
    if fmt == "html":
        return HTMLResponse(content)
    name = quote(f"chihwatch-{indicator}.{fmt}")
    disp = {"Content-Disposition": f"attachment; filename*=UTF-8''{name}"}
    media = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return Response(content, media_type=media, headers=disp)


def _cell_text(v: Any) -> Any:
    # A text cell starting with = + - @ is a formula to a spreadsheet: page text must stay text.
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + v
    return v


def _csv(rows: list[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(fig.COLUMNS)
    for r in rows:
        w.writerow(["" if r.get(c) is None else _cell_text(r.get(c)) for c in fig.COLUMNS])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 CSV correctly


def _xlsx(rows: list[dict[str, Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("figures")
    sheet.append(list(fig.COLUMNS))
    for r in rows:
        cells = []
        for c in fig.COLUMNS:
            v = r.get(c)
            cell = WriteOnlyCell(sheet, value=v)
            if isinstance(v, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def raw_page(request: Request) -> Response:
    """The stored bytes of a revision's fetch, for the sandboxed frame (no script, no requests)."""
    wb: Workbench = request.app.state.wb

    def load() -> dict[str, Any]:
        inst = installment_of(wb, request.path_params["ref"])
        rev = revision_of(request, q.revisions_of(wb.engine, inst["id"]))
        copy = q.archived_copy(wb.engine, rev["id"])
        if copy is None:
            raise Problem(404, "这一版没有存档的原始网页")
        return copy

    from starlette.concurrency import run_in_threadpool

    copy = await run_in_threadpool(load)
    ctype = copy["content_type"] or "text/html"
    if not ctype.lower().startswith("text/html"):
        ctype = "text/plain; charset=utf-8" if "charset" not in ctype else ctype
    return Response(
        copy["body"],
        media_type=None,
        headers={
            "Content-Type": ctype,
            "Content-Security-Policy": RAW_CSP,
            "X-Frame-Options": "SAMEORIGIN",
        },
    )


async def report_page(request: Request) -> Response:
    wb: Workbench = request.app.state.wb
    fmt = request.query_params.get("format") or "html"
    if fmt not in reports.FORMATS:
        raise Problem(400, f"参数 format 只能是 {' / '.join(reports.FORMATS)}，收到 {fmt!r}")
    since, until = report_period(request)
    text = await run_in_threadpool(wb.rendered, since, until, fmt)
    headers = {"Content-Security-Policy": REPORT_CSP} if fmt == "html" else {}
    return Response(text, media_type=reports.MEDIA_TYPES[fmt], headers=headers)


async def feed(request: Request) -> Response:
    """New installments and edits of the last week (of activity), with rel="self"."""
    from lxml import etree

    wb: Workbench = request.app.state.wb

    def build() -> str:
        since, until = wb.latest_window(FEED_DAYS)
        return wb.rendered(since, until, "atom")

    from starlette.concurrency import run_in_threadpool

    text = await run_in_threadpool(build)
    root = etree.fromstring(text.encode("utf-8"))
    ns = "{http://www.w3.org/2005/Atom}"
    base = str(request.base_url).rstrip("/")
    gen = root.find(f"{ns}generator")
    for rel, href, typ in (
        ("alternate", f"{base}/", "text/html"),
        ("self", f"{base}/feed.atom", "application/atom+xml"),
    ):
        link = etree.Element(f"{ns}link", rel=rel, type=typ, href=href)
        link.tail = "\n"
        if gen is not None:
            gen.addnext(link)
        else:
            root.insert(0, link)
    body = etree.tostring(root, xml_declaration=True, encoding="utf-8")
    return Response(body, media_type="application/atom+xml; charset=utf-8")


async def style(request: Request) -> Response:
    css = report_css() + "\n/* workbench */\n" + (STATIC / "web.css").read_text(encoding="utf-8")
    return Response(
        css, media_type="text/css; charset=utf-8", headers={"Cache-Control": "max-age=3600"}
    )


async def api_index(request: Request) -> Response:
    return json_response(
        {
            "routes": [
                "/api/home",
                "/api/installments?page=N&year=Y",
                "/api/installments/{year}-{no}?rev=N",
                "/api/installments/{year}-{no}/diff?from=R&to=S",
                "/api/zones",
                "/api/zones/{name}",
                "/api/indicators",
                "/api/indicators/{indicator}?kind=all|target|actual",
                "/api/search?q=",
                "/api/reports",
                "/api/reports/{YYYY-MM-DD}?until=YYYY-MM-DD",
            ]
        }
    )


async def favicon(request: Request) -> Response:
    return Response(status_code=204)
