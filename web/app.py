"""The analyst's workbench: a read-only Starlette app over the store (`chihwatch serve`).

Every page is built from one data function returning a plain dict; `/api/...` returns that same
dict as JSON and the HTML page renders it through Jinja2 (autoescaped, the report's macros and
styles). Routes are a contract: docs/CONTRACTS.md and docs/web.md.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import threading
import time as _time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

import reports
from chihwatch.errors import ChihwatchError, NotFound
from parsers.gazetteer import canonical_zone
from reports import model
from storage import queries_web as q
from storage.diff import diff_zones
from storage.store import Store
from web import figures as fig
from web.charts import figure_charts
from web.search import MAX_QUERY, SearchIndex

__all__ = ["create_app", "CSP", "Problem"]

log = logging.getLogger(__name__)

SITE_TZ = ZoneInfo("Asia/Shanghai")
STATIC = Path(__file__).resolve().parent / "static"
# Everything the app serves comes from itself; no script at all, no external resource.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# The stored page in its sandboxed frame: no script, no request anywhere, not even its own images.
RAW_CSP = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
)
# The weekly report is one self-contained file with its own inline <style>.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
PER_PAGE = 100
CACHE_SIZE = 128  # reports, pages, rendered feeds, archives, diffs (revisions never change)
FEED_DAYS = 7  # the feed carries the last week of activity, like `chihwatch report --format atom`
_REF = re.compile(r"(\d{4})-(\d{1,4})")


class Problem(Exception):
    """A request the app answers with an error page (400 bad parameter, 404 unknown thing)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# -- small helpers ----------------------------------------------------------------------------------


def _int_param(
    request: Request, name: str, *, default: int | None = None, lo: int = 1
) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < lo or len(raw) > 9:
        raise Problem(400, f"参数 {name} 应为不小于 {lo} 的整数，收到 {raw!r}")
    return int(raw)


def _choice(request: Request, name: str, choices: tuple[str, ...]) -> str:
    raw = request.query_params.get(name) or choices[0]
    if raw not in choices:
        raise Problem(400, f"参数 {name} 只能是 {' / '.join(choices)}，收到 {raw!r}")
    return raw


def _label(year: Any, number: Any) -> str:
    return model.installment_label({"year": year, "installment": number})


def _ref_link(year: Any, number: Any) -> str:
    return f"/installments/{year}-{number}"


def _bj(dt: datetime) -> str:
    return dt.astimezone(SITE_TZ).isoformat(timespec="seconds")


def _week_start(dt: datetime) -> date:
    local = dt.astimezone(SITE_TZ) if dt.tzinfo else dt.replace(tzinfo=UTC).astimezone(SITE_TZ)
    d = local.date()
    return d - timedelta(days=d.weekday())


def _day(text: str, name: str) -> datetime:
    try:
        d = date.fromisoformat(text)
    except ValueError:
        raise Problem(400, f"{name} 应为日期 YYYY-MM-DD，收到 {text!r}") from None
    return datetime.combine(d, time.min, tzinfo=SITE_TZ)


# -- the app state ----------------------------------------------------------------------------------


class Workbench:
    """What the pages share: the read-only store, the search index, the figures cache."""

    def __init__(self, store: Store, *, check_every: float = 2.0) -> None:
        self.store = store
        self.engine = store.engine
        self.index = SearchIndex(self.engine, check_every=check_every)
        self._fig_lock = threading.Lock()
        self._fig: tuple[tuple[int, int], Any] | None = None
        self._cache_lock = threading.Lock()
        self._cache: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()

    def all_figures(self) -> list[dict[str, Any]]:
        """Every figure of the latest revisions; recomputed when a revision is added."""
        return self._figures()[0]

    def figures_by(self, key: str, value: str) -> list[dict[str, Any]]:
        """The figures of one zone or one indicator (key "zone" / "indicator"), series order."""
        return self._figures()[1 if key == "zone" else 2].get(value, [])

    def _figures(self) -> tuple[list[dict[str, Any]], dict[str, list], dict[str, list]]:
        stamp = q.revision_stamp(self.engine)
        cached = self._fig
        if cached is not None and cached[0] == stamp:
            return cached[1]
        with self._fig_lock:
            if self._fig is not None and self._fig[0] == stamp:
                return self._fig[1]
            rows = [r | {"label": fig.figure_label(r)} for r in fig.figures_for_store(self.store)]
            by_zone: dict[str, list[dict[str, Any]]] = {}
            by_indicator: dict[str, list[dict[str, Any]]] = {}
            for r in rows:
                by_zone.setdefault(r["zone"], []).append(r)
                by_indicator.setdefault(r["indicator"], []).append(r)
            self._fig = (stamp, (rows, by_zone, by_indicator))
            return self._fig[1]

    def memo(self, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        """An LRU of computed values; `key` must name everything the value depends on."""
        with self._cache_lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        value = make()
        with self._cache_lock:
            self._cache[key] = value
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return value

    def report(self, since: datetime, until: datetime) -> dict[str, Any]:
        """Store.report_data, cached until the store changes (a report reads dozens of rows per
        installment; pages are read far more often than the crawler writes)."""
        key = ("report", since.isoformat(), until.isoformat(), q.store_stamp(self.engine))
        return self.memo(key, lambda: self.store.report_data(since, until))

    def rendered(self, since: datetime, until: datetime, fmt: str) -> str:
        """reports.render of that report, cached like the report itself."""
        key = ("render", fmt, since.isoformat(), until.isoformat(), q.store_stamp(self.engine))
        return self.memo(key, lambda: reports.render(self.report(since, until), fmt))

    def latest_window(self, days: int) -> tuple[datetime, datetime]:
        """The `days` ending now, or ending at the last activity if nothing happened since."""
        # Whole minutes: the same window (and cached report) for every request in a minute.
        now = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        since = now - timedelta(days=days)
        _lo, hi = q.activity_bounds(self.engine)
        if hi is not None:
            last = hi.replace(tzinfo=UTC) if hi.tzinfo is None else hi
            if last < since:
                until = last + timedelta(seconds=1)
                return until - timedelta(days=days), until
        return since, now


# -- page data --------------------------------------------------------------------------------------


def home_data(wb: Workbench, request: Request) -> dict[str, Any]:
    since, until = wb.latest_window(7)
    report = wb.report(since, until)
    # The week's 目标变化 table of the report (new installments against the zone's previous
    # section, then the site's edits), each figure whole.
    target_changes = [
        {
            **tc,
            "year": tc["after_source"]["year"],
            "installment": tc["after_source"]["installment"],
            "previous": tc["before_source"] if tc.get("via") == "new" else None,
        }
        for tc in report.get("target_changes") or []
    ]
    return {
        "since": _bj(since),
        "until": _bj(until),
        "summary": report["summary"],
        "new_installments": [
            {
                k: n[k]
                for k in ("year", "installment", "title", "url", "published", "zones", "new_zones")
            }
            for n in report["new_installments"]
        ],
        "revisions": [
            {
                k: r[k]
                for k in ("year", "installment", "title", "url", "cause", "revision", "created_at")
            }
            | {"changes": len(r["changes"])}
            for r in report["revisions"]
        ],
        "target_changes": target_changes,
        "availability": report["availability"],
        "suspects": report["suspects"],
        "crawl_problems": report["crawl_problems"],
        "health": q.crawl_health(wb.engine, since),
    }


def installments_data(wb: Workbench, request: Request) -> dict[str, Any]:
    page = _int_param(request, "page", default=1) or 1
    year = _int_param(request, "year", default=None, lo=1900)
    data = q.installments_page(wb.engine, page=page, per_page=PER_PAGE, year=year)
    data["year"] = year
    data["pages"] = max(1, -(-data["total"] // PER_PAGE))
    if page > data["pages"]:
        raise Problem(404, f"没有第 {page} 页（共 {data['pages']} 页）")
    return data


def _installment(wb: Workbench, ref: str) -> dict[str, Any]:
    m = _REF.fullmatch(ref)
    if not m:
        raise Problem(400, f"期次应写作 年份-序号（如 2024-5），收到 {ref!r}")
    inst = q.installment_by_number(wb.engine, int(m[1]), int(m[2]))
    if inst is None:
        raise Problem(404, f"没有期次 {ref}（{_label(int(m[1]), int(m[2]))}）")
    return inst


def _revision(request: Request, revs: list[dict[str, Any]], name: str = "rev") -> dict[str, Any]:
    seq = _int_param(request, name, default=None)
    if not revs:
        raise Problem(404, "该期次还没有任何版本")
    if seq is None:
        return revs[-1]
    for r in revs:
        if r["revision"] == seq:
            return r
    raise Problem(404, f"该期次没有第 {seq} 版（共 {len(revs)} 版）")


def installment_data(wb: Workbench, request: Request) -> dict[str, Any]:
    inst = _installment(wb, request.path_params["ref"])
    revs = q.revisions_of(wb.engine, inst["id"])
    rev = _revision(request, revs)
    zones = []
    for sec in q.sections_of(wb.engine, rev["id"]):
        base = {**inst, "zone": sec["zone"], "heading": sec["heading"]}
        rows = fig.figures_of_paragraphs(base, sec["paragraphs"])
        zones.append({**sec, "figures": [r | {"label": fig.figure_label(r)} for r in rows]})
    inst = {k: v for k, v in inst.items() if k != "latest_revision_id"}
    return {
        "installment": inst,
        "revision": {k: v for k, v in rev.items() if k != "id"},
        "latest": rev is revs[-1],
        "intro": rev["intro"],
        "zones": zones,
        "revisions": [{k: v for k, v in r.items() if k not in ("id", "intro")} for r in revs],
        "availability": q.availability_of(wb.engine, inst["id"]),
    }


def diff_data(wb: Workbench, request: Request) -> dict[str, Any]:
    inst = _installment(wb, request.path_params["ref"])
    revs = q.revisions_of(wb.engine, inst["id"])
    view = _choice(request, "view", ("inline", "side"))
    to = _revision(request, revs, "to")
    if request.query_params.get("from"):
        frm = _revision(request, revs, "from")
    else:
        prev = [r for r in revs if r["revision"] < to["revision"]]
        if not prev:
            raise Problem(400, "第 1 版之前没有可比较的版本：请给出 from 和 to")
        frm = prev[-1]
    # Revisions never change: the comparison of two is computed once.
    changes, figure_changes = wb.memo(
        ("diff", frm["id"], to["id"]), lambda: _compare(wb, inst, frm, to)
    )
    return {
        "installment": {k: v for k, v in inst.items() if k != "latest_revision_id"},
        "view": view,
        "from": {k: v for k, v in frm.items() if k not in ("id", "intro")},
        "to": {k: v for k, v in to.items() if k not in ("id", "intro")},
        "revisions": [r["revision"] for r in revs],
        "changes": changes,
        "figure_changes": figure_changes,
    }


def _compare(
    wb: Workbench, inst: dict[str, Any], frm: dict[str, Any], to: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Text changes (intro and zones, as `chihwatch diff`) and figure changes of two revisions."""
    secs = {r["id"]: q.sections_of(wb.engine, r["id"]) for r in (frm, to)}

    def zones(rev: dict[str, Any]) -> list[tuple[str | None, list[str]]]:
        return [(None, rev["intro"])] + [(x["zone"], x["paragraphs"]) for x in secs[rev["id"]]]

    def figures(rev: dict[str, Any]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for sec in secs[rev["id"]]:
            base = {**inst, "zone": sec["zone"], "heading": sec["heading"]}
            out += [
                r | {"label": fig.figure_label(r)}
                for r in fig.figures_of_paragraphs(base, sec["paragraphs"])
            ]
        return out

    changes = [c.to_dict() for c in diff_zones(zones(frm), zones(to))]
    changes = [c | {"segments": [[g.op, g.text] for g in model.segments(c)]} for c in changes]
    return changes, fig.figure_changes(figures(frm), figures(to))


def zones_data(wb: Workbench, request: Request) -> dict[str, Any]:
    return {"zones": q.zones_index(wb.engine)}


def zone_data(wb: Workbench, request: Request) -> dict[str, Any]:
    name = request.path_params["name"]
    sections = q.zone_sections(wb.engine, name)
    if not sections:
        canon = canonical_zone(name)
        if canon and canon != name and q.zone_sections(wb.engine, canon):
            raise _Redirect(f"/zones/{quote(canon)}")
        raise Problem(404, f"库中没有高新区 {name!r}")
    figures = wb.figures_by("zone", name)
    years = sorted({s["year"] for s in sections})
    return {"zone": name, "years": years, "sections": sections, "figures": figures}


class _Redirect(Exception):
    def __init__(self, location: str) -> None:
        self.location = location


def indicators_data(wb: Workbench, request: Request) -> dict[str, Any]:
    counts: dict[str, dict[str, Any]] = {}
    for r in wb.all_figures():
        c = counts.setdefault(
            r["indicator"], {"indicator": r["indicator"], "figures": 0, "zones": set()}
        )
        c["figures"] += 1
        c["zones"].add(r["zone"])
    items = [
        {"indicator": c["indicator"], "figures": c["figures"], "zones": len(c["zones"])}
        for c in counts.values()
    ]
    items.sort(key=lambda c: (-c["zones"], -c["figures"], c["indicator"]))
    return {"indicators": items}


def indicator_data(wb: Workbench, request: Request) -> dict[str, Any]:
    name = request.path_params["indicator"]
    kind = _choice(request, "kind", ("all", "target", "actual"))
    rows = wb.figures_by("indicator", name)
    if not rows:
        raise Problem(404, f"没有指标 {name!r}（见 /indicators）")
    if kind != "all":
        rows = [r for r in rows if r["kind"] == kind]
    years = sorted({r["year"] for r in rows})
    zones = sorted({r["zone"] for r in rows})
    cells: dict[str, dict[str, list[dict[str, Any]]]] = {z: {} for z in zones}
    for r in rows:
        cells[r["zone"]].setdefault(str(r["year"]), []).append(r)
    return {
        "indicator": name,
        "kind": kind,
        "years": years,
        "zones": zones,
        "matrix": cells,
        "rows": [{c: r.get(c) for c in fig.COLUMNS} for r in rows],
    }


def search_data(wb: Workbench, request: Request) -> dict[str, Any]:
    raw = request.query_params.get("q")
    if raw is None:
        return {"query": None, "hits": [], "total": 0, "first_seen": None, "method": None}
    # Control characters (NUL...) are no part of any page's text: treat them as spaces.
    text = " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", raw).split())
    if not text:
        raise Problem(400, "搜索词为空")
    if len(text) > MAX_QUERY:
        raise Problem(400, f"搜索词过长（最多 {MAX_QUERY} 个字符）")

    # The same phrase again (paging back, a second analyst) is answered from the cache until a
    # revision is added; a broad phrase over a large store costs a scan of its matches.
    def run() -> dict[str, Any]:
        wb.index.refresh(force=True)  # the key's stamp is new: the index must have caught up
        return wb.index.search(text)

    return wb.memo(("search", text, q.revision_stamp(wb.engine)), run)


def reports_data(wb: Workbench, request: Request) -> dict[str, Any]:
    lo, hi = q.activity_bounds(wb.engine)
    weeks: list[str] = []
    if lo is not None and hi is not None:
        d, last = _week_start(lo), _week_start(hi)
        while d <= last:
            weeks.append(d.isoformat())
            d += timedelta(days=7)
    weeks.reverse()
    return {"weeks": weeks}


def report_data(wb: Workbench, request: Request) -> dict[str, Any]:
    since, until = _report_period(request)
    return wb.report(since, until)


def _report_period(request: Request) -> tuple[datetime, datetime]:
    since = _day(request.path_params["start"], "起始日期")
    until_raw = request.query_params.get("until")
    until = _day(until_raw, "until") + timedelta(days=1) if until_raw else since + timedelta(days=7)
    if until <= since:
        raise Problem(400, "until 应晚于起始日期")
    if until - since > timedelta(days=366):
        raise Problem(400, "报告期最长一年")
    return since, until


# -- rendering --------------------------------------------------------------------------------------


@cache
def _env() -> jinja2.Environment:
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
    env.globals.update(label=_label, ref_link=_ref_link, figure_charts=figure_charts)
    return env


@cache
def report_css() -> str:
    """The weekly report's own stylesheet, taken from its template so both stay one design."""
    src = (Path(reports.__file__).resolve().parent / "templates" / "report.html.j2").read_text(
        encoding="utf-8"
    )
    m = re.search(r"<style>(.*?)</style>", src, re.S)
    return m.group(1) if m else ""


def _html(template: str, code: int = 200, **ctx: Any) -> HTMLResponse:
    return HTMLResponse(_env().get_template(template).render(**ctx), status_code=code)


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(_jsonable(data), status_code=status)


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple | set):
        return [_jsonable(x) for x in v]
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


def _data(data_fn: Handler, wb: Workbench, request: Request) -> dict[str, Any]:
    if data_fn.__name__ not in CACHED:
        return data_fn(wb, request)
    key = (
        "data",
        data_fn.__name__,
        request.url.path,
        str(request.query_params),
        q.store_stamp(wb.engine),
    )
    return wb.memo(key, lambda: data_fn(wb, request))


def _page(data_fn: Handler, template: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        wb: Workbench = request.app.state.wb

        def page() -> str:
            data = _data(data_fn, wb, request)

            def render() -> str:
                return (
                    _env()
                    .get_template(template)
                    .render(data=data, request_path=request.url.path, query=request.query_params)
                )

            if data_fn.__name__ not in CACHED:
                return render()
            key = (
                "html",
                template,
                request.url.path,
                str(request.query_params),
                q.store_stamp(wb.engine),
            )
            return wb.memo(key, render)

        return HTMLResponse(await run_in_threadpool(page))

    return endpoint


def _api(data_fn: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        wb: Workbench = request.app.state.wb
        return _json(await run_in_threadpool(_data, data_fn, wb, request))

    return endpoint


async def _run(data_fn: Handler, wb: Workbench, request: Request) -> dict[str, Any]:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(data_fn, wb, request)


async def indicator_page(request: Request) -> Response:
    wb: Workbench = request.app.state.wb
    fmt = request.query_params.get("format") or "html"
    if fmt not in ("html", "csv", "xlsx"):
        raise Problem(400, f"参数 format 只能是 html / csv / xlsx，收到 {fmt!r}")

    def body() -> tuple[str, bytes | str]:
        data = _data(indicator_data, wb, request)

        def make() -> bytes | str:
            if fmt == "html":
                return (
                    _env()
                    .get_template("indicator.html.j2")
                    .render(data=data, request_path=request.url.path, query=request.query_params)
                )
            return _csv(data["rows"]) if fmt == "csv" else _xlsx(data["rows"])

        key = (
            "indicator",
            fmt,
            request.url.path,
            str(request.query_params),
            q.store_stamp(wb.engine),
        )
        return data["indicator"], wb.memo(key, make)

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
        inst = _installment(wb, request.path_params["ref"])
        rev = _revision(request, q.revisions_of(wb.engine, inst["id"]))
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


def archive_data(wb: Workbench, request: Request) -> dict[str, Any]:
    """The stored page as sanitised text: every text node, no markup, no script, no style."""
    inst = _installment(wb, request.path_params["ref"])
    rev = _revision(request, q.revisions_of(wb.engine, inst["id"]))
    copy = wb.memo(("archive", rev["id"]), lambda: _archive_text(wb, rev["id"]))
    if copy is None:
        raise Problem(404, "这一版没有存档的原始网页")
    return {
        "installment": {k: v for k, v in inst.items() if k != "latest_revision_id"},
        "revision": rev["revision"],
        "url": copy["url"],
        "fetched_at": copy["fetched_at"],
        "lines": copy["lines"],
    }


def _archive_text(wb: Workbench, revision_id: int) -> dict[str, Any] | None:
    copy = q.archived_copy(wb.engine, revision_id)
    if copy is None:
        return None
    return {
        "url": copy["url"],
        "fetched_at": copy["fetched_at"],
        "lines": _page_text(copy["body"], copy["content_type"]),
    }


def _page_text(body: bytes, content_type: str | None) -> list[str]:
    from lxml import html as lhtml

    from parsers.decode import decode

    try:
        text = decode(body, {"Content-Type": content_type} if content_type else None).text
    except Exception:  # not HTML, empty: still show what bytes there are, as text
        text = body.decode("utf-8", "replace")
    try:
        doc = lhtml.document_fromstring(
            text.encode("utf-8"), parser=lhtml.HTMLParser(encoding="utf-8")
        )
    except Exception:
        return [line for line in text.splitlines() if line.strip()]
    for bad in doc.xpath("//script|//style|//noscript|//template|//iframe|//object"):
        bad.drop_tree()
    lines: list[str] = []
    raw = doc.text_content()
    for line in raw.splitlines():
        line = " ".join(line.split())
        if line:
            lines.append(line)
    return lines


async def report_page(request: Request) -> Response:
    wb: Workbench = request.app.state.wb
    fmt = request.query_params.get("format") or "html"
    if fmt not in reports.FORMATS:
        raise Problem(400, f"参数 format 只能是 {' / '.join(reports.FORMATS)}，收到 {fmt!r}")
    since, until = _report_period(request)
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
    return _json(
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


# -- errors and headers -----------------------------------------------------------------------------


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


def _error(request: Request, status: int, message: str) -> Response:
    if _is_api(request):
        return _json({"error": message, "status": status}, status)
    return _html(
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
    assert isinstance(exc, _Redirect)
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
    routes = [Route(path, _page(fn, tpl), methods=["GET", "HEAD"]) for path, fn, tpl in pages]
    routes += [
        Route("/installments/{ref}/raw", raw_page, methods=["GET", "HEAD"]),
        Route("/indicators/{indicator}", indicator_page, methods=["GET", "HEAD"]),
        Route("/reports/{start}", report_page, methods=["GET", "HEAD"]),
        Route("/feed.atom", feed, methods=["GET", "HEAD"]),
        Route("/static/web.css", style, methods=["GET", "HEAD"]),
        Route("/favicon.ico", favicon, methods=["GET", "HEAD"]),
        Route("/api", api_index, methods=["GET", "HEAD"]),
    ]
    routes += [Route(path, _api(fn), methods=["GET", "HEAD"]) for path, fn in apis]

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
            _Redirect: _redirect,
            HTTPException: _http,
            ChihwatchError: _domain,
            500: _internal,
        },
        lifespan=lifespan,
    )
    app.add_middleware(SecurityHeaders)  # type: ignore[arg-type]
    app.state.wb = wb
    return app
