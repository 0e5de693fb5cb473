"""Each report format rendered from the sample dict: content, highlights, escaping, self-containment."""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime
from typing import Any

import lxml.etree as etree
import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reports
import reports.model

ATOM = "{http://www.w3.org/2005/Atom}"
ZONES = [
    "威海高新区",
    "天津高新区",
    "兰州高新区",
    "昆明高新区",
    "玉溪高新区",
    "苏州工业园区",
    "宁波高新区",
]


def _change_li(doc: Any, needle: str) -> Any:
    """The <li class="change ..."> whose text contains needle."""
    hits = [li for li in doc.iter("li") if needle in li.text_content()]
    assert hits, needle
    return hits[0]


# ---------------------------------------------------------------- HTML


def test_html_shows_installments_zones_and_targets(sample: dict[str, Any]) -> None:
    html = reports.render(sample, "html")
    doc = lxml.html.fromstring(html)
    text = doc.text_content()
    for zone in ZONES:
        assert zone in text
    assert "国家高新区密集部署 2024年这样干!⑤" in text
    assert "2024-02-06 08:53" in text  # published, shown in Beijing time as the site does
    # The targets table of 昆明高新区 holds all four growth targets with their numbers.
    kunming = next(s for s in doc.iter("section") if s.findtext("h4", "").startswith("昆明高新区"))
    rows = [[td.text_content() for td in tr.iter("td")] for tr in kunming.iter("tr")]
    assert ["固定资产投资", "增长5%", "固定资产投资增长5%"] in rows
    assert ["一般公共预算收入", "增长3.5%", "一般公共预算收入增长3.5%"] in rows
    assert ["固定资产投资", "增长10%", "增长5%", ""] in rows  # target compared with 2023
    # Link to the earlier installment the zone is compared with.
    prev = [a.get("href") for a in kunming.iter("a")]
    assert "http://www.chinahightech.com/html/hotnews/yaowen/2023/0201/5534120.html" in prev
    # 玉溪高新区 is new to the series: flagged and its paragraphs shown in full.
    yuxi = next(s for s in doc.iter("section") if s.findtext("h4", "").startswith("玉溪高新区"))
    assert "首次出现" in yuxi.text_content()
    assert "力争2024年生物医药产业完成产值100亿元以上。" in yuxi.text_content()


def test_html_highlights_character_level_changes(sample: dict[str, Any]) -> None:
    doc = lxml.html.fromstring(reports.render(sample, "html"))
    li = _change_li(doc, "昆明高新区经济社会发展主要目标")
    assert [d.text for d in li.iter("del")] == ["3", "10", "12"]
    assert [i.text for i in li.iter("ins")] == ["4", "5", "8", "，一般公共预算收入增长3.5%"]
    assert "changed" in li.get("class")
    # Unchanged runs stay plain text between the highlights; a replacement reads old → new.
    assert "固定资产投资增长10→5%" in li.text_content()
    # An edit of a published installment, grouped under its zone, with the cause shown.
    edit = _change_li(doc, "全年新增高新技术企业")
    assert [d.text for d in edit.iter("del")] == ["0"] and [i.text for i in edit.iter("ins")] == [
        "2"
    ]
    assert "网站修改" in doc.text_content() and "解析器更新" in doc.text_content()
    removed = _change_li(doc, "本文有删节")
    assert "removed" in removed.get("class") and removed.find(".//del") is not None


def test_html_escapes_hostile_page_text(sample: dict[str, Any]) -> None:
    html = reports.render(sample, "html")
    doc = lxml.html.fromstring(html)
    assert not re.search(r"<\s*script", html, re.I)
    assert not re.search(r"<\s*img", html, re.I)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert not list(doc.iter("script", "img", "iframe", "object"))
    for el in doc.iter():
        for name in el.attrib:
            assert not name.lower().startswith("on"), (el.tag, name)
    # The text is still there for the reader, as text.
    assert "<script>alert(1)</script>" in doc.text_content()
    # A javascript: URL from a page is shown, never linked.
    hrefs = [a.get("href") or "" for a in doc.iter("a")]
    assert hrefs and all(h.startswith(("http://", "https://", "#")) for h in hrefs)
    assert "javascript:alert(1)" in doc.text_content()


def test_html_is_self_contained_responsive_and_printable(sample: dict[str, Any]) -> None:
    html = reports.render(sample, "html")
    doc = lxml.html.fromstring(html)
    assert not list(doc.iter("link", "script", "img", "iframe"))
    for el in doc.iter():
        if el.tag != "a":
            assert el.get("src") is None and el.get("href") is None, el.tag
    css = "".join(s.text or "" for s in doc.iter("style"))
    assert "url(" not in css and "@import" not in css
    assert '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC"' in css
    assert "@media print" in css and "@media (max-width" in css
    assert doc.find(".//meta[@name='viewport']") is not None
    assert doc.get("lang") == "zh-CN"


def test_html_chart_draws_the_series(sample: dict[str, Any]) -> None:
    html = reports.render(sample, "html")
    root = lxml.html.fromstring(html)
    svgs = [el for el in root.iter() if isinstance(el.tag, str) and el.tag.endswith("svg")]
    assert len(svgs) == 1
    rects = [el for el in svgs[0].iter() if isinstance(el.tag, str) and el.tag.endswith("rect")]
    assert len(rects) == len(sample["series"]) == 13
    new = [r for r in rects if "new" in r.get("class", "").split()]
    assert len(new) == 2  # 2024 ⑤ and ⑥ are this period's installments
    # Bar heights are proportional to zone counts: ⑤ (5 zones) is 5/4 of ⑥ (4 zones).
    h5, h6 = (float(r.get("height")) for r in new)
    assert h5 / h6 == pytest.approx(5 / 4)


# ---------------------------------------------------------------- Markdown


def test_markdown_reads_as_plain_text(sample: dict[str, Any]) -> None:
    md = reports.render(sample, "md")
    for zone in ZONES:
        assert zone in md
    assert "报告期：2024-02-05 00:00 – 2024-02-12 00:00（北京时间）" in md
    assert "| 固定资产投资 | 增长5% | 固定资产投资增长5% |" in md
    assert "固定资产投资增长[-10-]{+5+}%" in md
    assert "全年新增高新技术企业1[-0-]{+2+}00家以上。" in md
    assert "#### 玉溪高新区（首次出现）" in md
    # Raw HTML from pages is backslash-escaped, so a Markdown viewer shows it as text.
    # Every unescaped "<" opens one of our own autolinks, never page text.
    assert re.findall(r"(?<!\\)<(?!https?://)", md) == []
    assert r"\<script\>alert(1)\</script\>" in md
    assert "## 可疑页面" in md and "## 访问异常" in md
    assert "HTTP 404" in md


# ---------------------------------------------------------------- JSON


def test_json_is_the_dict_unescaped(sample: dict[str, Any]) -> None:
    text = reports.render(sample, "json")
    assert json.loads(text) == sample
    assert "威海高新区" in text  # ensure_ascii=False: readable Chinese, not \\u escapes
    for key in ("since", "until", "new_installments", "revisions"):
        assert key in json.loads(text)


# ---------------------------------------------------------------- Atom


def test_atom_is_a_valid_feed_of_changes(sample: dict[str, Any]) -> None:
    text = reports.render(sample, "atom")
    root = etree.fromstring(text.encode("utf-8"))
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert (root.findtext(f"{ATOM}{name}") or "").strip(), name
    assert root.findtext(f"{ATOM}author/{ATOM}name") == "chihwatch"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 4  # 2 new installments + 2 edited installments
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == 4 and all(i and i.startswith("urn:chihwatch:") for i in ids)
    for entry in entries:
        assert entry.findtext(f"{ATOM}title")
        datetime.fromisoformat(entry.findtext(f"{ATOM}updated"))  # RFC 3339 with offset
        assert datetime.fromisoformat(entry.findtext(f"{ATOM}updated")).tzinfo is not None
        assert entry.find(f"{ATOM}content").get("type") == "html"
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert "新增：国家高新区密集部署 2024年这样干!⑤" in titles
    assert "修改（网站修改）：国家高新区密集部署 2024年这样干!④" in titles
    five = entries[titles.index("新增：国家高新区密集部署 2024年这样干!⑤")]
    assert five.find(f"{ATOM}link").get("href").endswith("/2024/0206/5700517.html")
    assert [c.get("term") for c in five.findall(f"{ATOM}category")][-1] == "玉溪高新区"
    content = five.findtext(f"{ATOM}content")
    assert '固定资产投资增长<del>10</del><span class="to">→</span><ins>5</ins>%' in content


def test_atom_escapes_hostile_text_in_entry_html(sample: dict[str, Any]) -> None:
    root = etree.fromstring(reports.render(sample, "atom").encode("utf-8"))
    for entry in root.findall(f"{ATOM}entry"):
        html = entry.findtext(f"{ATOM}content")
        frag = lxml.html.fragment_fromstring(html, create_parent="div")
        assert not list(frag.iter("script", "img")), entry.findtext(f"{ATOM}title")
    six = next(e for e in root.findall(f"{ATOM}entry") if "⑥" in e.findtext(f"{ATOM}title"))
    frag = lxml.html.fragment_fromstring(six.findtext(f"{ATOM}content"), create_parent="div")
    assert "<script>alert(1)</script>" in frag.text_content()


def test_atom_and_html_survive_control_characters(sample: dict[str, Any]) -> None:
    sample["new_installments"][0]["title"] = "国家高新区\x0b密集部署\x00 ⑤"
    sample["new_installments"][0]["sections"][0]["paragraphs"][0] = "坏\x1f字符"
    root = etree.fromstring(reports.render(sample, "atom").encode("utf-8"))
    assert any(
        e.findtext(f"{ATOM}title") == "新增：国家高新区密集部署 ⑤"
        for e in root.iter(f"{ATOM}entry")
    )
    assert "\x0b" not in reports.render(sample, "html")


# ---------------------------------------------------------------- robustness


def test_empty_and_minimal_reports_render() -> None:
    empty = {
        "since": "2024-03-01T00:00:00+08:00",
        "until": "2024-03-08T00:00:00+08:00",
        "new_installments": [],
        "revisions": [],
    }
    html = reports.render(empty, "html")
    assert "本期没有新的期次" in html and "本期没有修改" in html
    assert "本期没有新的期次" in reports.render(empty, "md")
    root = etree.fromstring(reports.render(empty, "atom").encode("utf-8"))
    assert root.findall(f"{ATOM}entry") == [] and root.findtext(f"{ATOM}updated")
    # The core keys only (docs/reports.md, JSON: no sections, summary or series): still a full report.
    minimal = dict(
        empty,
        new_installments=[
            {
                "url": "http://www.chinahightech.com/a.html",
                "title": "国家高新区密集部署 2025年这样干!①",
                "year": 2025,
                "installment": 1,
                "published": None,
                "zones": ["西安高新区"],
                "new_zones": ["西安高新区"],
            }
        ],
        revisions=[
            {
                "url": "http://www.chinahightech.com/b.html",
                "title": "T",
                "year": 2025,
                "installment": 2,
                "changes": [{"zone": None, "kind": "changed", "before": "甲乙", "after": "甲丙"}],
            }
        ],
    )
    doc = lxml.html.fromstring(reports.render(minimal, "html"))
    assert "西安高新区" in doc.text_content()
    li = _change_li(doc, "甲")  # no inline ops: whole before/after shown as del/ins
    assert [d.text for d in li.iter("del")] == ["甲乙"] and [i.text for i in li.iter("ins")] == [
        "甲丙"
    ]
    assert [c.text_content() for c in doc.find_class("card")][0].startswith("1")
    etree.fromstring(reports.render(minimal, "atom").encode("utf-8"))


def test_unknown_format_is_refused(sample: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="pdf"):
        reports.render(sample, "pdf")


def test_atom_times_share_one_offset_and_the_feed_id_is_stable(sample: dict[str, Any]) -> None:
    sample["revisions"][0]["created_at"] = "2024-02-09T01:30:00+00:00"  # storage's UTC stamps
    root = etree.fromstring(reports.render(sample, "atom").encode("utf-8"))
    stamps = [e.findtext(f"{ATOM}updated") for e in root.iter(f"{ATOM}entry")]
    assert "2024-02-09T09:30:00+08:00" in stamps
    assert all(s.endswith("+08:00") for s in stamps)
    assert stamps == sorted(stamps, reverse=True)  # newest first
    assert root.findtext(f"{ATOM}updated") == max(stamps)
    later = dict(sample, since="2024-02-12T00:00:00+08:00", until="2024-02-19T00:00:00+08:00")
    again = etree.fromstring(reports.render(later, "atom").encode("utf-8"))
    assert again.findtext(f"{ATOM}id") == root.findtext(f"{ATOM}id")


def test_whitespace_only_changes_stay_visible(sample: dict[str, Any]) -> None:
    """2023⑦'s parser revision only dropped a trailing blank: shown as ␣, not as nothing."""
    doc = lxml.html.fromstring(reports.render(sample, "html"))
    li = _change_li(doc, "力争地区生产总值增长7%以上。")
    assert [d.text for d in li.iter("del")] == ["␣"]
    assert "力争地区生产总值增长7%以上。[-␣-]" in reports.render(sample, "md")


def test_html_at_a_glance_table_links_to_each_installment(sample: dict[str, Any]) -> None:
    doc = lxml.html.fromstring(reports.render(sample, "html"))
    table = doc.find_class("glance")[0]
    rows = table.findall(".//tbody/tr")
    assert [r.find("td/a").text for r in rows] == ["2024年⑤", "2024年⑥", "2024年④", "2023年⑦"]
    for row in rows:
        target = row.find("td/a").get("href")
        assert target.startswith("#") and doc.get_element_by_id(target[1:]).tag == "article"
    new = [z.text for z in rows[1].find_class("z") if "new" in z.get("class").split()]
    assert new == ["苏州工业园区", "宁波高新区"]
    assert "3 处变化：西安高新区、导语及其他" in rows[2].text_content()


_PIECES = list("<>&\"'/=;`*_[]|\\ \n\t\x00\x0b\x1f\ufffe国家高新区增长5%") + [
    "<script>",
    "</script>",
    "<img src=x onerror=",
    "]]>",
    "<!--",
    "&amp;",
    "javascript:",
]
# Page text built from the pieces that break markup when they are not escaped.
_HOSTILE_TEXT = st.lists(st.sampled_from(_PIECES), max_size=20).map("".join)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(title=_HOSTILE_TEXT, para=_HOSTILE_TEXT, before=_HOSTILE_TEXT, after=_HOSTILE_TEXT)
def test_any_page_text_stays_text(
    sample: dict[str, Any], title: str, para: str, before: str, after: str
) -> None:
    """Whatever a page holds, the HTML gains no element from it and the Atom stays well-formed."""
    data = copy.deepcopy(sample)
    data["new_installments"][0]["title"] = title
    data["new_installments"][0]["sections"][-1]["paragraphs"] = [para]
    data["revisions"][0]["changes"] = [
        {
            "zone": title,
            "kind": "changed",
            "before": before,
            "after": after,
            "inline": [["-", before], ["+", after]],
        }
    ]
    doc = lxml.html.fromstring(reports.render(data, "html"))
    assert not list(doc.iter("script", "img", "iframe"))
    assert all(not a.lower().startswith("on") for el in doc.iter() for a in el.attrib)
    clean = reports.model.strip_xml_invalid(para)
    if clean.strip() and "\r" not in clean:
        assert " ".join(clean.split()) in " ".join(doc.text_content().split())
    root = etree.fromstring(reports.render(data, "atom").encode("utf-8"))
    for entry in root.iter(f"{ATOM}entry"):
        frag = lxml.html.fragment_fromstring(
            entry.findtext(f"{ATOM}content") or "", create_parent="div"
        )
        assert not list(frag.iter("script", "img", "iframe"))
    md = reports.render(data, "md")
    assert re.findall(r"(?<!\\)<(?!https?://)", md) == []
