"""Segmentation by zone heading (every markup), the gazetteer's aliases, non-series articles."""

from __future__ import annotations

import pytest

from parsers import parse
from parsers.gazetteer import ZONES, canonical_zone
from parsers.zones import segment
from tests.parsers.chihparse_pages import INTRO, P1, P2, P3, P4, new_page, old_page, series_body

HEADINGS = {
    "plain p": "<p>{}</p>",
    "nbsp padded": "<p>&nbsp;&nbsp; {}&nbsp;&nbsp;</p>",
    "full-width padded": "<p>　　{}　</p>",
    "strong": "<p><strong>{}</strong></p>",
    "indented strong": "<p>　　<strong>{}</strong></p>",
    "b": "<p><b>{}</b></p>",
    "h2": "<h2>{}</h2>",
    "h3": "<h3>{}</h3>",
    "h4": "<h4>{}</h4>",
    "align center": '<p align="center">{}</p>',
    "style centered": '<p style="text-align: center;"><strong>{}</strong></p>',
    "css bold span": '<p><span style="font-weight: 700">{}</span></p>',
    "brackets": "<p><strong>【{}】</strong></p>",
    "link inside": '<p style="text-align:center">【<a href="/gxq/">{}</a>】</p>',
    "div": '<div class="sub">{}</div>',
}


@pytest.mark.parametrize("markup", sorted(HEADINGS))
@pytest.mark.parametrize("page", [old_page, new_page], ids=["chih-2019", "generic"])
def test_each_heading_markup_starts_a_zone(markup: str, page) -> None:  # type: ignore[no-untyped-def]
    html = HEADINGS[markup]
    body = series_body(html.format("威海高新区"), html.format("天津高新区"))
    article = parse(page(body).encode("utf-8"))
    assert article.intro == (INTRO,)
    assert [z.name for z in article.zones] == ["威海高新区", "天津高新区"]
    assert article.zones[0].paragraphs == (P1, P2)
    assert article.zones[1].paragraphs == (P3, P4)


@pytest.mark.parametrize(
    ("heading", "canonical"),
    [
        ("天津滨海高新区", "天津高新区"),
        ("中关村科技园区", "中关村"),
        ("中关村示范区", "中关村"),
        ("上海张江高新区", "张江高新区"),
        ("武汉东湖高新区", "东湖高新区"),
        ("苏州工业园区", "苏州工业园区"),
        ("威海火炬高技术产业开发区", "威海高新区"),
        ("玉溪国家高新区", "玉溪高新区"),
    ],
)
def test_alias_headings_get_canonical_names(heading: str, canonical: str) -> None:
    body = series_body(f"<p><strong>{heading}</strong></p>", "<p><strong>兰州高新区</strong></p>")
    article = parse(old_page(body).encode("utf-8"))
    assert [z.name for z in article.zones] == [canonical, "兰州高新区"]
    # The heading as printed is kept for display and in the JSON, next to the canonical name.
    assert article.zones[0].heading == heading
    assert article.to_dict()["zones"][0]["heading"] == heading
    assert heading in article.paragraphs


def test_sentence_starting_with_a_zone_name_is_not_a_heading() -> None:
    sentence = "威海高新区将重点发展电子信息、医疗器械和新材料产业，力争产值增长10%。"
    body = series_body().replace(f"<p>　　{P2}</p>", f"<p>{sentence}</p>")
    article = parse(old_page(body).encode("utf-8"))
    assert [z.name for z in article.zones] == ["威海高新区", "天津高新区"]
    assert article.zones[0].paragraphs == (P1, sentence)


def test_non_series_article_keeps_bold_subheadings_and_zone_names_in_intro() -> None:
    body = series_body("<p><strong>威海高新区</strong></p>", "<h3>天津高新区</h3>").replace(
        f"<p>　　{P2}</p>", f"<p><strong>创新能力持续增强</strong></p><p>{P2}</p>"
    )
    article = parse(old_page(body, title="长三角国家高新区协同创新按下“快进键”").encode("utf-8"))
    assert article.series is None and article.installment is None and article.year is None
    assert article.zones == ()
    assert article.intro == (INTRO, "威海高新区", P1, "创新能力持续增强", P2, "天津高新区", P3, P4)


def test_segment_function() -> None:
    intro, zones = segment(
        ["引言。", "【昆明高新区】", "甲。", "乙。", "玉溪高新区", "丙。"], by_zone=True
    )
    assert intro == ("引言。",)
    assert [(z.name, z.paragraphs) for z in zones] == [
        ("昆明高新区", ("甲。", "乙。")),
        ("玉溪高新区", ("丙。",)),
    ]
    assert segment(["引言。", "玉溪高新区", "丙。"], by_zone=False) == (
        ("引言。", "玉溪高新区", "丙。"),
        (),
    )


def test_gazetteer_covers_the_national_zones() -> None:
    assert len(ZONES) >= 170
    for name, entry in ZONES.items():
        assert canonical_zone(name) == name
        for alias in entry.aliases:
            assert canonical_zone(alias) == name, alias
    assert canonical_zone("会议指出") is None
    assert canonical_zone("高新区") is None
    assert canonical_zone("威海高新区召开会议，部署全年工作。") is None


@pytest.mark.parametrize(
    "heading",
    ["一、威海高新区", "（一）威海高新区", "1.威海高新区", "01 威海高新区", "【威海高新区】："],
)
def test_numbered_and_decorated_headings(heading: str) -> None:
    assert canonical_zone(heading) == "威海高新区"


def test_ordinals_alone_or_with_other_words_are_not_zones() -> None:
    assert canonical_zone("一、打造科技成果转化首选地") is None
    assert canonical_zone("（二）") is None
    assert canonical_zone("2024") is None
