"""The workbench's page data: one function per page, `(Workbench, Request) -> dict`.

The HTML page renders the dict (web/render.py) and `/api/...` returns the same dict as JSON.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from starlette.requests import Request

from parsers.gazetteer import canonical_zone
from reports import model
from storage import queries_web as q
from storage.diff import diff_zones
from web import figures as fig
from web.search import MAX_QUERY
from web.workbench import (
    PER_PAGE,
    Problem,
    Redirect,
    Workbench,
    bj,
    choice,
    installment_of,
    int_param,
    report_period,
    revision_of,
    week_start,
)


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
        "since": bj(since),
        "until": bj(until),
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
    page = int_param(request, "page", default=1) or 1
    year = int_param(request, "year", default=None, lo=1900)
    data = q.installments_page(wb.engine, page=page, per_page=PER_PAGE, year=year)
    data["year"] = year
    data["pages"] = max(1, -(-data["total"] // PER_PAGE))
    if page > data["pages"]:
        raise Problem(404, f"没有第 {page} 页（共 {data['pages']} 页）")
    return data


def installment_data(wb: Workbench, request: Request) -> dict[str, Any]:
    inst = installment_of(wb, request.path_params["ref"])
    revs = q.revisions_of(wb.engine, inst["id"])
    rev = revision_of(request, revs)
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
    inst = installment_of(wb, request.path_params["ref"])
    revs = q.revisions_of(wb.engine, inst["id"])
    view = choice(request, "view", ("inline", "side"))
    to = revision_of(request, revs, "to")
    if request.query_params.get("from"):
        frm = revision_of(request, revs, "from")
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
            raise Redirect(f"/zones/{quote(canon)}")
        raise Problem(404, f"库中没有高新区 {name!r}")
    figures = wb.figures_by("zone", name)
    years = sorted({s["year"] for s in sections})
    return {"zone": name, "years": years, "sections": sections, "figures": figures}


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
    kind = choice(request, "kind", ("all", "target", "actual"))
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
        d, last = week_start(lo), week_start(hi)
        while d <= last:
            weeks.append(d.isoformat())
            d += timedelta(days=7)
    weeks.reverse()
    return {"weeks": weeks}


def report_data(wb: Workbench, request: Request) -> dict[str, Any]:
    since, until = report_period(request)
    return wb.report(since, until)


def archive_data(wb: Workbench, request: Request) -> dict[str, Any]:
    """The stored page as sanitised text: every text node, no markup, no script, no style."""
    inst = installment_of(wb, request.path_params["ref"])
    rev = revision_of(request, q.revisions_of(wb.engine, inst["id"]))
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
