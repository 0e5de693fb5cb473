"""Every route of `chihwatch serve` over HTTP, on SQLite and PostgreSQL (a real store, read-only).

Expected values come from the saved fixture pages and their hand-checked parses
(fixtures/pages/*.json) and from the timeline in web_helpers.py, never from the app's own output.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from lxml import etree

from tests.web.web_helpers import HOSTILE, PAGES, expected

ATOM = "{http://www.w3.org/2005/Atom}"


def _no_live_markup(html: str) -> None:
    """The page's own markup has no script at all, and page text never becomes markup."""
    from lxml import html as lhtml

    doc = lhtml.document_fromstring(html)
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        assert el.tag not in ("script", "img", "iframe", "object", "embed"), el.tag
        assert not [a for a in el.attrib if a.lower().startswith("on")], (el.tag, el.attrib)
        for attr in ("href", "src", "action"):
            assert not el.get(attr, "").lower().startswith("javascript:")


def _html(client: Any, path: str, status: int = 200) -> str:
    r = client.get(path)
    assert r.status_code == status, (path, r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    _no_live_markup(r.text)
    return r.text


def test_home_latest_week_glance_targets_and_health(client: Any) -> None:
    html = _html(client, "/")
    # The latest activity is 2025 ① (2025-01-20): its week is shown, not an empty last 7 days.
    assert "2025年①" in html and "新增" in html
    # 合肥: 2024 ① 地区生产总值增长8.5% -> 2025 ① 增长6.5%左右 (fixture pages).
    row = re.search(
        r"<tr><td><a href=\"/zones/[^\"]+\">合肥高新区</a></td><td>地区生产总值</td>(.*?)</tr>",
        html,
    )
    assert row, html
    # Each figure whole in its column, with the direction (the report's 目标变化 table).
    assert row.group(1).startswith(
        '<td class="num">增长8.5%</td><td class="num">增长6.5%左右</td><td class="dir">▼</td>'
    )
    assert "最近一次成功抓取" in html and "2025-01-20 11:00" in html  # 03:00 UTC in Beijing
    for link in ("/installments", "/zones", "/indicators", "/search", "/reports", "/feed.atom"):
        assert f'href="{link}"' in html
    api = client.get("/api/home").json()
    assert api["summary"]["new_installments"] == 1
    assert api["health"]["installments"] == 7 and api["health"]["revisions"] == 8


def test_installments_list_and_paging(client: Any) -> None:
    html = _html(client, "/installments")
    for ref in ("2023-3", "2024-1", "2024-2", "2024-3", "2024-4", "2024-5", "2025-1"):
        assert f'href="/installments/{ref}"' in html
    api = client.get("/api/installments").json()
    assert api["total"] == 7
    assert [(r["year"], r["installment"]) for r in api["rows"]][:2] == [(2025, 1), (2024, 5)]
    four = next(r for r in api["rows"] if (r["year"], r["installment"]) == (2024, 4))
    assert four["revisions"] == 2 and four["zones"] == 4
    assert client.get("/api/installments?year=2024").json()["total"] == 5
    assert client.get("/installments?page=0").status_code == 400
    assert client.get("/installments?page=x").status_code == 400
    assert client.get("/installments?page=9").status_code == 404


def test_installment_reading_view_revisions_and_old_revision(client: Any) -> None:
    html = _html(client, "/installments/2024-4")
    exp = expected("chih2019-2024-04")
    for zone in exp["zones"]:
        assert zone["name"] in html
    assert "第 2 版（共 2 版）" in html and "网站修改" in html
    # The figures table of 青岛高新区 has the edited target, whole.
    assert "增长12%" in html and "力争规模以上工业总产值增长12%" in html
    # The hostile paragraph is shown as text.
    assert "&lt;script&gt;window.__pwned=1;alert(1)&lt;/script&gt;" in html
    old = _html(client, "/installments/2024-4?rev=1")
    assert "工业总产值增长10%" in old and "工业总产值增长12%" not in old and "这是旧版本" in old
    assert "window.__pwned" not in old
    api = client.get("/api/installments/2024-4?rev=1").json()
    assert api["revision"]["revision"] == 1 and [r["revision"] for r in api["revisions"]] == [1, 2]
    assert [z["zone"] for z in api["zones"]] == [z["name"] for z in exp["zones"]]
    qd = next(z for z in api["zones"] if z["zone"] == "青岛高新区")
    assert any(f["indicator"] == "规模以上工业总产值" and f["value"] == 10 for f in qd["figures"])


def test_installment_errors(client: Any) -> None:
    assert "没有期次 2024-99" in _html(client, "/installments/2024-99", 404)
    _html(client, "/installments/latest", 400)
    _html(client, "/installments/2024-4?rev=abc", 400)
    _html(client, "/installments/2024-4?rev=7", 404)
    r = client.get("/api/installments/2024-99")
    assert r.status_code == 404 and "2024-99" in r.json()["error"]


def test_archive_readable_after_404(client: Any) -> None:
    """③ answered 404 on 2024-02-08: its page says so, and the stored copy is still readable."""
    html = _html(client, "/installments/2024-3")
    assert "返回 HTTP 404" in html
    first = expected("chih2019-2024-03")["zones"][0]["paragraphs"][0]
    text = _html(client, "/installments/2024-3/archive")
    assert first in text
    raw = client.get("/installments/2024-3/raw")
    assert raw.status_code == 200
    assert raw.content == (PAGES / "chih2019-2024-03.html").read_bytes()
    csp = raw.headers["content-security-policy"]
    assert csp.startswith("sandbox") and "default-src 'none'" in csp
    # The edited ④'s raw page holds a live <script>: only ever served under that sandbox CSP.
    raw4 = client.get("/installments/2024-4/raw?rev=2")
    assert b"window.top.__pwned=3" in raw4.content
    assert raw4.headers["content-security-policy"].startswith("sandbox")
    assert "window.top.__pwned" not in _html(client, "/installments/2024-4/archive?rev=2")


def test_diff_inline_side_and_figures(client: Any) -> None:
    html = _html(client, "/installments/2024-4/diff?from=1&to=2")
    # The inline edit replaces the figure whole, old → new (never digits struck inside it).
    assert re.search(
        r"<del>增长10%</del>(<span class=\"to\">→</span>)?<ins>增长12%</ins>",
        html.replace("\n", ""),
    )
    # Figures changed are listed whole: indicator, both figures and both clauses.
    assert "规模以上工业总产值" in html
    assert "<del>增长10%</del>" in html and "<ins>增长12%</ins>" in html
    assert "力争规模以上工业总产值增长10%" in html and "力争规模以上工业总产值增长12%" in html
    side = _html(client, "/installments/2024-4/diff?from=1&to=2&view=side")
    assert 'class="side"' in side and '<td class="before">' in side
    api = client.get("/api/installments/2024-4/diff").json()
    assert (api["from"]["revision"], api["to"]["revision"]) == (1, 2)
    kinds = sorted(c["kind"] for c in api["changes"])
    assert kinds == ["added", "changed"]
    added = next(c for c in api["changes"] if c["kind"] == "added")
    assert added["after"] == HOSTILE
    assert [(c["indicator"], c["status"]) for c in api["figure_changes"]] == [
        ("规模以上工业总产值", "changed")
    ]
    _html(client, "/installments/2024-4/diff?view=table", 400)
    _html(client, "/installments/2024-4/diff?from=x&to=2", 400)
    _html(client, "/installments/2024-4/diff?from=1&to=5", 404)
    _html(client, "/installments/2024-5/diff", 400)  # one revision: nothing before it


def test_zones_and_dossier(client: Any) -> None:
    html = _html(client, "/zones")
    api = client.get("/api/zones").json()["zones"]
    weihai = next(z for z in api if z["zone"] == "威海高新区")
    # 2023 ③, 2024 ②, 2024 ⑤, 2025 ① carry 威海 (fixture parses).
    assert (weihai["installments"], weihai["first_year"], weihai["last_year"]) == (4, 2023, 2025)
    assert "威海高新区" in html
    dossier = _html(client, "/zones/威海高新区")
    order = [
        m.start()
        for m in (
            re.search(f">{lbl}</a> 国家", dossier)
            for lbl in ("2023年③", "2024年②", "2024年⑤", "2025年①")
        )
        if m
    ]
    assert len(order) == 4 and order == sorted(order)
    assert "<svg" in dossier and 'class="pt target"' in dossier
    data = client.get("/api/zones/威海高新区").json()
    assert [(s["year"], s["installment"]) for s in data["sections"]] == [
        (2023, 3),
        (2024, 2),
        (2024, 5),
        (2025, 1),
    ]
    gdp = [f for f in data["figures"] if f["indicator"] == "地区生产总值"]
    assert {(f["year"], f["value"]) for f in gdp} >= {(2025, 6)}


def test_zone_alias_redirect_and_unknown(client: Any) -> None:
    r = client.get("/zones/天津滨海高新区", follow_redirects=False)
    assert r.status_code == 301 and r.headers["location"].endswith(
        "/zones/%E5%A4%A9%E6%B4%A5%E9%AB%98%E6%96%B0%E5%8C%BA"
    )
    assert "没有高新区" in _html(client, "/zones/不存在高新区", 404)
    assert client.get("/api/zones/不存在高新区").status_code == 404


def test_indicator_matrix_and_downloads(client: Any) -> None:
    html = _html(client, "/indicators/地区生产总值")
    row = re.search(r"合肥高新区</a></th>(.*?)</tr>", html, re.S)
    assert row and "增长8.5%" in row.group(1) and "增长6.5%左右" in row.group(1)
    assert "地区生产总值增长8.5%" in row.group(1)  # the clause in the cell
    data = client.get("/api/indicators/地区生产总值").json()
    # 2023 ③: "2023年威海高新区地区生产总值增长5.5%", "2023年合肥高新区地区生产总值增长9%": the
    # zone's own name is not part of the indicator.
    assert data["years"] == [2023, 2024, 2025]
    assert {(r["zone"], r["value"]) for r in data["rows"] if r["year"] == 2023} == {
        ("威海高新区", 5.5),
        ("合肥高新区", 9),
    }
    hefei = {(r["year"], r["value"]) for r in data["rows"] if r["zone"] == "合肥高新区"}
    assert hefei == {(2023, 9), (2024, 8.5), (2025, 6.5)}
    r = client.get("/indicators/地区生产总值?format=csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == len(data["rows"]) and rows[0].keys() >= {
        "zone",
        "indicator",
        "value",
        "text",
        "kind",
    }
    assert {(x["zone"], x["year"], x["value"]) for x in rows} == {
        (d["zone"], str(d["year"]), str(d["value"])) for d in data["rows"]
    }
    x = client.get("/indicators/地区生产总值?format=xlsx")
    assert x.status_code == 200 and x.content[:2] == b"PK"
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(x.content)).active
    values = list(sheet.values)
    assert values[0][:3] == ("series", "year", "installment") and len(values) == len(rows) + 1
    _html(client, "/indicators/不存在的指标", 404)
    _html(client, "/indicators/地区生产总值?kind=plan", 400)
    _html(client, "/indicators/地区生产总值?format=pdf", 400)
    index = client.get("/api/indicators").json()["indicators"]
    assert any(i["indicator"] == "地区生产总值" and i["zones"] >= 2 for i in index)
    _html(client, "/indicators")


def test_search_trigram_short_fallback_first_seen(client: Any) -> None:
    html = _html(client, "/search?q=低空经济")
    assert "<mark>低空经济</mark>" in html and "合肥高新区" in html and "2025年①" in html
    data = client.get("/api/search?q=低空经济").json()
    assert data["method"] == "fts5-trigram" and data["total"] == 1
    assert data["first_seen"]["created_at"].startswith("2025-01-20")
    short = client.get("/api/search?q=玉溪").json()  # 2 characters: below the trigram size
    assert short["method"] == "scan" and short["total"] == 1
    assert short["hits"][0]["zone"] == "玉溪高新区"
    # Old revisions are searched too: the 10% of ④ revision 1 is gone from revision 2.
    old = client.get("/api/search?q=力争规模以上工业总产值增长10%，新增高新技术企业").json()
    assert old["total"] == 1 and [o["revision"] for o in old["hits"][0]["occurrences"]] == [1]
    new = client.get("/api/search?q=力争规模以上工业总产值增长12%").json()
    assert new["first_seen"]["created_at"].startswith("2024-02-07")
    assert client.get("/api/search?q=芯").json()["total"] == 0
    assert "没有找到" in _html(client, "/search?q=芯")
    hostile = _html(client, "/search?q=window.__pwned")
    assert "<mark>window.__pwned</mark>" in hostile
    # FTS5 syntax and control characters are text to search for, never an error.
    for odd in ('"', 'a"b OR c', "NEAR(低空 经济)", "*", "ab\x00", "低空经济\x00"):
        r = client.get("/api/search", params={"q": odd})
        assert r.status_code == 200, (odd, r.text)
    assert client.get("/api/search", params={"q": "低空经济\x00"}).json()["total"] == 1
    _html(client, "/search?q=%00", 400)
    _html(client, "/search?q=%20%20", 400)
    _html(client, "/search?q=" + "长" * 101, 400)
    _html(client, "/search")


def test_reports_any_week(client: Any) -> None:
    html = _html(client, "/reports")
    for week in ("2024-01-29", "2024-02-05", "2025-01-20"):
        assert f'href="/reports/{week}"' in html
    r = client.get("/reports/2024-02-05")
    assert r.status_code == 200 and "2024年⑤" in r.text
    assert r.headers["content-security-policy"].startswith(
        "default-src 'none'; style-src 'unsafe-inline'"
    )
    assert "&lt;script&gt;" in r.text and "<script>" not in r.text
    data = client.get("/reports/2024-02-05?format=json").json()
    assert [n["installment"] for n in data["new_installments"]] == [5]
    assert client.get("/api/reports/2024-02-05").json()["summary"] == data["summary"]
    span = client.get("/api/reports/2024-01-29?until=2024-02-11").json()
    assert span["summary"]["new_installments"] == 6  # 2023 ③ and 2024 ①–⑤
    assert client.get("/reports/2024-13-01").status_code == 400
    assert client.get("/reports/2024-02-05?until=2024-01-01").status_code == 400
    assert client.get("/reports/2024-02-05?format=pdf").status_code == 400


def test_feed_stable_with_self_link(client: Any) -> None:
    one = client.get("/feed.atom")
    assert one.status_code == 200 and one.headers["content-type"].startswith("application/atom+xml")
    root = etree.fromstring(one.content)
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links["self"] == "http://testserver/feed.atom"
    ids = [e.findtext(f"{ATOM}id") for e in root.findall(f"{ATOM}entry")]
    assert ids and "urn:chihwatch:installment:2025-1" in ids
    again = etree.fromstring(client.get("/feed.atom").content)
    assert root.findtext(f"{ATOM}id") == again.findtext(f"{ATOM}id")
    assert ids == [e.findtext(f"{ATOM}id") for e in again.findall(f"{ATOM}entry")]


def test_api_index_unknown_routes_and_static(client: Any) -> None:
    routes = client.get("/api").json()["routes"]
    assert "/api/search?q=" in routes
    assert "没有这个页面" in _html(client, "/nope", 404)
    r = client.get("/api/nope")
    assert r.status_code == 404 and r.json()["status"] == 404
    css = client.get("/static/web.css")
    assert css.status_code == 200 and "--accent" in css.text and "@import" not in css.text
    assert json.loads(client.get("/api/zones").content)  # valid JSON, UTF-8
