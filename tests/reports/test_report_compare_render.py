"""The comparison of a section with another installment's, rendered from a hand-written dict."""

from __future__ import annotations

from typing import Any

import lxml.html

import reports

EVIL = "<script>alert(1)</script>"
PREV = {
    "url": "http://www.chinahightech.com/html/hotnews/yaowen/2023/0203/5672106.html",
    "title": "国家高新区密集部署 2023年这样干！③",
    "year": 2023,
    "installment": 3,
    "published": "2023-02-03T08:00:00+08:00",
}
SECTION = {
    "zone": "洛阳高新区",
    "paragraphs": [
        "1月30日，洛阳高新区召开2024年工作会议。",
        "会议提出，2024年洛阳高新区力争固定资产投资增长12%。",
        "洛阳高新区将围绕高端装备等三大主导产业。" + EVIL,
    ],
    "targets": [],
    "previous": PREV,
    "target_changes": [],
    "comparison": [
        {
            "kind": "same",
            "before": ["1月30日，洛阳高新区召开2024年工作会议。"],
            "after": ["1月30日，洛阳高新区召开2024年工作会议。"],
        },
        {
            "kind": "similar",
            "before": ["会议提出，2023年洛阳高新区力争固定资产投资增长10%。"],
            "after": ["会议提出，2024年洛阳高新区力争固定资产投资增长12%。"],
            "similarity": 0.9,
            "inline": [
                ["=", "会议提出，"],
                ["-", "2023"],
                ["+", "2024"],
                ["=", "年洛阳高新区力争固定资产投资"],
                ["-", "增长10%"],
                ["+", "增长12%"],
                ["=", "。"],
            ],
        },
        {
            "kind": "apart",
            "before": ["会议强调，全年引进高层次人才团队15个以上。"],
            "after": ["洛阳高新区将围绕高端装备等三大主导产业。" + EVIL],
        },
    ],
    "changes": [],
}


def data() -> dict[str, Any]:
    return {
        "since": "2024-02-05T00:00:00+08:00",
        "until": "2024-02-12T00:00:00+08:00",
        "new_installments": [
            {
                "url": "http://www.chinahightech.com/html/hotnews/yaowen/2024/0202/5699463.html",
                "title": "国家高新区密集部署 2024年这样干！④",
                "year": 2024,
                "installment": 4,
                "published": "2024-02-02T08:00:00+08:00",
                "zones": ["洛阳高新区"],
                "new_zones": [],
                "sections": [SECTION],
            }
        ],
        "revisions": [],
    }


def test_markdown_lists_the_comparison_after_the_full_text() -> None:
    md = reports.render(data(), "md")
    full = md.index("> 1月30日，洛阳高新区召开2024年工作会议。")
    cmp = md.index("与上次报道（2023年③）逐段对照：")
    assert full < cmp
    assert md[cmp:].splitlines()[1:6] == [
        "",
        "- 相同：1月30日，洛阳高新区召开2024年工作会议。",
        "- 相近：会议提出，[-2023-]{+2024+}年洛阳高新区力争固定资产投资[-增长10%-]{+增长12%+}。",
        "- 上次报道：会议强调，全年引进高层次人才团队15个以上。",
        "- 本次报道：洛阳高新区将围绕高端装备等三大主导产业。\\<script\\>alert(1)\\</script\\>",
    ]
    assert "- 删除：" not in md and "- 新增：" not in md and "- 修改：" not in md


def test_html_sets_the_sections_side_by_side_without_strike_through() -> None:
    html = reports.render(data(), "html")
    assert "<script>alert(1)</script>" not in html
    doc = lxml.html.fromstring(html)
    zone = doc.find_class("zone")[0]
    assert [p.text_content() for p in zone.find_class("para")] == SECTION["paragraphs"]
    cmp = zone.find_class("cmp")[0]
    assert cmp.find_class("cmp-head")[0].text_content() == (
        "与上次报道（2023年③）逐段对照：相近 1 段 · 相同 1 段 · 本次新写 1 段 · 上次有而本次未提 1 段"
    )
    assert cmp.find(".//del") is None and cmp.find(".//ins") is None
    similar = cmp.find_class("similar")[0]
    assert [m.text for m in similar.find_class("was")[0].iter("mark")] == ["2023", "增长10%"]
    assert [m.text for m in similar.find_class("now")[0].iter("mark")] == ["2024", "增长12%"]
    sep = cmp.find_class("sep")[0]
    assert sep.find_class("now")[0].text_content() == "本次报道" + SECTION["paragraphs"][2]
