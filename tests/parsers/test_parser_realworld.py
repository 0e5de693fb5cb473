"""Pages the real world serves (issue 12): headings as printed, full names, unknown zones, openers,
sub-headings, reposts' boilerplate, the e-paper, bylines and the precision of `published`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chihwatch.cli.fixturecheck import body_score
from parsers import UNKNOWN_ZONE_CONFIDENCE, parse
from parsers.gazetteer import ZONES, canonical_zone
from parsers.model import Article, Zone
from parsers.zones import stray_openers
from tests.parsers.chihparse_pages import INTRO, P1, P2, P3, P4, new_page, old_page, series_body

PAGES = Path(__file__).resolve().parents[2] / "fixtures" / "pages"


def _strong(text: str) -> str:
    return f"<p><strong>{text}</strong></p>"


# -- headings as printed ---------------------------------------------------------------------------


def test_zone_json_carries_canonical_name_and_heading_as_printed() -> None:
    body = series_body(_strong("【天津滨海高新区】"), _strong("兰州高新区"))
    data = parse(old_page(body).encode()).to_dict()
    assert [(z["name"], z["heading"]) for z in data["zones"]] == [
        ("天津高新区", "天津滨海高新区"),
        ("兰州高新区", "兰州高新区"),
    ]
    back = Article.from_dict(data)
    assert back.zones[0].printed == "天津滨海高新区" and back.to_dict()["zones"] == data["zones"]


def test_heading_default_is_the_name_for_zones_built_in_code() -> None:
    assert Zone("威海高新区", ("x",)).to_dict() == {
        "name": "威海高新区",
        "heading": "威海高新区",
        "paragraphs": ["x"],
    }


# -- zones named in many ways ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "canonical"),
    [
        ("武汉东湖新技术开发区", "东湖高新区"),
        ("东湖新技术开发区", "东湖高新区"),
        ("武汉东湖高新技术产业开发区", "东湖高新区"),
        ("东湖国家自主创新示范区", "东湖高新区"),
        ("中国光谷", "东湖高新区"),
        ("天津滨海高新技术产业开发区", "天津高新区"),
        ("中关村国家自主创新示范区", "中关村"),
        ("北京中关村", "中关村"),
        ("张江", "张江高新区"),
        ("上海紫竹高新区", "紫竹高新区"),
        ("成都高新技术产业开发区", "成都高新区"),
        ("四川成都高新区", "成都高新区"),
        ("东莞松山湖高新区", "松山湖高新区"),
        ("信阳高新技术产业开发区", "信阳高新区"),
        ("克拉玛依高新区", "克拉玛依高新区"),
        ("遵义国家高新区", "遵义高新区"),
    ],
)
def test_official_and_press_names_are_generated_from_the_data(heading: str, canonical: str) -> None:
    assert canonical_zone(heading) == canonical
    body = series_body(_strong(heading), _strong("兰州高新区"))
    article = parse(old_page(body).encode())
    assert [(z.name, z.heading) for z in article.zones] == [
        (canonical, heading),
        ("兰州高新区", "兰州高新区"),
    ]
    assert article.intro == (INTRO,)


def test_gazetteer_has_every_zone_of_the_2022_list() -> None:
    # MOST's list plus the June 2022 additions (信阳, 遵义, 克拉玛依), and 黄河三角洲农业高新区
    assert len(ZONES) >= 175
    assert {"信阳高新区", "遵义高新区", "克拉玛依高新区", "滁州高新区"} <= set(ZONES)
    for province in {z.province for z in ZONES.values()}:
        assert province  # every entry has its province


def test_full_name_fixture_keeps_its_first_zone() -> None:
    data = json.loads((PAGES / "zonemedia-2025-09-fullname.json").read_text(encoding="utf-8"))
    article = parse((PAGES / "zonemedia-2025-09-fullname.html").read_bytes(), url=data["url"])
    assert [z.heading for z in article.zones][0] == "武汉东湖新技术开发区"
    assert article.intro == tuple(data["intro"])


# -- unknown zones -----------------------------------------------------------------------------------

UNKNOWN_P = "2月11日，日照高新区召开2025年高质量发展大会，提出全年规上工业增加值增长9%，新增高新技术企业60家。"


@pytest.mark.parametrize("page", [old_page, new_page], ids=["chih-2019", "generic"])
def test_zone_heading_not_in_the_gazetteer_is_kept_and_flagged(page) -> None:  # type: ignore[no-untyped-def]
    assert canonical_zone("日照高新区") is None
    body = series_body().replace(
        "<p>&nbsp;&nbsp;天津高新区&nbsp;&nbsp;</p>",
        f"{_strong('日照高新区')}<p>{UNKNOWN_P}</p><p>&nbsp;&nbsp;天津高新区&nbsp;&nbsp;</p>",
    )
    article = parse(page(body).encode())
    assert [(z.name, z.known) for z in article.zones] == [
        ("威海高新区", True),
        ("日照高新区", False),
        ("天津高新区", True),
    ]
    assert article.zones[1].paragraphs == (UNKNOWN_P,)
    assert "unknown zone: 日照高新区" in article.warnings
    assert 0.5 <= article.confidence <= UNKNOWN_ZONE_CONFIDENCE
    assert article.to_dict()["zones"][1]["known"] is False


@pytest.mark.parametrize(
    "line",
    [
        "建设世界一流高科技园区",  # a slogan ending in 园区, not restated by the next paragraph
        "打造国家自主创新示范区",
        "日照高新区。",  # punctuation: a sentence
    ],
)
def test_short_lines_ending_like_a_zone_are_not_zones(line: str) -> None:
    body = series_body().replace(f"<p>　　{P1}</p>", f"<p>{line}</p><p>　　{P1}</p>")
    article = parse(old_page(body).encode())
    assert [z.name for z in article.zones] == ["威海高新区", "天津高新区"]
    assert article.zones[0].paragraphs[0] == line
    assert not any("unknown zone" in w for w in article.warnings)


def test_a_zone_named_but_nowhere_a_heading_is_never_a_clean_hit() -> None:
    # 天津高新区's heading lost and its section opens without a date: the dated-opener rule cannot
    # see it; the subject of the paragraph still names a zone that is nowhere a heading.
    opener = "天津高新区将持续打造创新高地、产业高地和改革开放高地，奋力谱写高质量发展新篇章。"
    body = series_body(h2="").replace(f"<p>　　{P3}</p>", f"<p>　　{opener}</p>")
    article = parse(old_page(body).encode())
    assert [z.name for z in article.zones] == ["威海高新区"]
    assert any("天津高新区" in w and "never a heading" in w for w in article.warnings)
    assert article.confidence <= UNKNOWN_ZONE_CONFIDENCE


# -- openers and sub-headings ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "opener",
    [
        "中新网天津2月8日电 （记者 张芸）天津高新区8日召开2025年工作会议，提出全年引育科技型企业2000家。",
        "新华社天津2月8日电 天津高新区8日召开2025年工作会议，部署全年重点任务。",
        "本报讯（记者 罗晓燕 通讯员 周敏）2月9日，天津高新区召开2025年经济工作会议。",
        "本报记者 李响 报道 2月10日，天津高新区召开2025年高质量发展大会。",
    ],
)
def test_wire_datelines_open_a_section(opener: str) -> None:
    # inside 威海高新区's section: a zone's opening sentence without its heading
    assert stray_openers([INTRO], [Zone("威海高新区", (P1, P2, opener, P4))]) == ["天津高新区"]
    # under its own heading it is the normal opening
    assert stray_openers([INTRO], [Zone("天津高新区", (opener, P4))]) == []
    body = series_body(h2="").replace(f"<p>　　{P3}</p>", f"<p>{opener}</p>")
    article = parse(old_page(body).encode())
    assert any("zone headings missing" in w for w in article.warnings)
    assert article.confidence < 0.5


def test_slogan_after_a_heading_is_that_zones_first_paragraph() -> None:
    slogan = '<p style="text-align: center;"><span style="color:#c00">在发展新质生产力上作示范</span></p>'
    body = series_body().replace(
        "<p>&nbsp;&nbsp;威海高新区&nbsp;&nbsp;</p>",
        f"<p>&nbsp;&nbsp;威海高新区&nbsp;&nbsp;</p>{slogan}{_strong('一、做强主导产业')}",
    )
    article = parse(new_page(body).encode())
    assert article.intro == (INTRO,)
    assert article.zones[0].paragraphs[:2] == ("在发展新质生产力上作示范", "一、做强主导产业")
    assert [z.name for z in article.zones] == ["威海高新区", "天津高新区"]
    assert article.warnings == ()


# -- reposts -------------------------------------------------------------------------------------------

NOTICES = [
    "<p>特别声明：以上文章内容仅代表作者本人观点，不代表新浪网观点或立场。如有关于作品内容、版权或其它问题请于作品发表后的30日内与新浪网联系。</p>",
    "<p>（来源：中国高新网）</p><p>返回搜狐，查看更多</p><p>责任编辑：李明</p><p>平台声明：该文观点仅代表作者本人，搜狐号系信息发布平台，搜狐仅提供信息存储空间服务。</p>",
    "<p>Notice: The content above (including the pictures and videos if any) is uploaded and posted by a user of NetEase Hao, which is a social media platform and only provides information storage services.</p>",
    "<p>我来说两句</p><p>0人参与，0条评论</p><p>文明上网理性发言，请遵守新闻评论服务协议</p>",
]


@pytest.mark.parametrize("notice", NOTICES, ids=["sina", "sohu", "netease", "comments"])
def test_portal_notices_are_not_glued_to_the_last_zone(notice: str) -> None:
    body = series_body().replace('<p style="text-align: right;">（责任编辑：韩梦晨）</p>', notice)
    article = parse(new_page(body).encode())
    assert article.zones[-1].paragraphs == (P3, P4)
    for word in ("声明", "Notice", "搜狐", "来源", "评论", "责任编辑"):
        assert word not in article.body_text


def test_source_line_of_a_repost_is_its_source() -> None:
    body = series_body() + "<p>（来源：中国高新网）</p>"
    page = new_page(body, byline='<span class="pub">2025-01-17 09:12</span><span>某某号</span>')
    article = parse(page.encode())
    assert article.source == "中国高新网" and "来源" not in article.body_text


def test_in_article_ads_are_not_body() -> None:
    ad = '<div class="ggw"><a href="https://ad.example.com/"><img src="a.jpg"></a><span>品牌推广：高端装备就选某某</span></div><p>广告</p>'
    body = series_body().replace(f"<p>　　{P1}</p>", f"<p>　　{P1}</p>{ad}")
    article = parse(new_page(body).encode())
    assert article.zones[0].paragraphs == (P1, P2)


# -- bylines -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "author"),
    [
        ("本报记者 罗晓燕", "罗晓燕"),
        ("文/张伟", "张伟"),
        ("记者 张芸 通讯员 刘明", "张芸 刘明"),
        ("■本报记者 王璐 通讯员 高 翔", "王璐 高翔"),
        ("（本报记者 李响 报道）", "李响"),
    ],
)
def test_bylines_go_to_author_not_body(line: str, author: str) -> None:
    body = f"<p>{line}</p>" + series_body()
    article = parse(new_page(body).encode())
    assert article.author == author
    assert article.intro == (INTRO,)


def test_a_sentence_about_a_reporter_is_body() -> None:
    text = "记者从会上获悉"
    body = series_body().replace(f"<p>　　{P2}</p>", f"<p>{text}</p><p>　　{P2}</p>")
    article = parse(new_page(body).encode())
    assert article.zones[0].paragraphs == (P1, text, P2) and article.author is None


# -- published and its precision -----------------------------------------------------------------------

LD = '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2024-02-08T08:40:00+08:00"}</script>'


def test_pubtime_span_plus_json_ld_keep_the_time() -> None:
    page = new_page(
        series_body(),
        byline='<span class="pubtime">2024-02-08 08:40</span><span class="source">来源：中国高新网</span>',
        head_extra=LD,
    )
    article = parse(page.encode(), url="http://www.chinahightech.com/yaowen/2024-02/08/c.html")
    assert article.published == "2024-02-08T08:40:00+08:00"
    assert article.to_dict()["published_precision"] in ("minute", "second")


@pytest.mark.parametrize(
    ("byline", "head", "published", "precision"),
    [
        ("<span>2024-02-08 08:40</span>", "", "2024-02-08T08:40:00+08:00", "minute"),
        ("<span>2024-02-08 08:40:17</span>", "", "2024-02-08T08:40:17+08:00", "second"),
        (
            "<span>来源：中国高新网</span>",
            '<meta property="article:published_time" content="2024-02-08T00:40:00Z">',
            "2024-02-08T08:40:00+08:00",
            "second",
        ),
        ("<span>来源：中国高新网</span>", LD, "2024-02-08T08:40:00+08:00", "second"),
        ("<span>2024年2月8日</span>", "", "2024-02-08", "day"),
    ],
)
def test_published_precision_says_what_the_page_showed(
    byline: str, head: str, published: str, precision: str
) -> None:
    article = parse(new_page(series_body(), byline=byline, head_extra=head).encode())
    assert (article.published, article.published_precision) == (published, precision)


# -- the e-paper ---------------------------------------------------------------------------------------


def test_epaper_profile_reads_date_source_and_citation() -> None:
    article = parse((PAGES / "epaper-2025-lead.html").read_bytes())
    assert article.template == "chih-epaper"
    assert (article.published, article.published_precision) == ("2025-03-24", "day")
    assert article.source == "中国高新技术产业导报" and article.author == "罗晓燕"
    assert "《中国高新技术产业导报》" not in article.body_text and "导读" not in article.body_text


@pytest.mark.parametrize("name", ["epaper-2025-lead", "epaper-2025-nolead"])
def test_generic_path_survives_the_epaper_layout(name: str) -> None:
    # Without the profile (its markers renamed), the generic path must still see one lead, no
    # citation line, the date above the title and the paper as source.
    expected = json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))
    raw = (PAGES / f"{name}.html").read_bytes().replace(b"ozoom", b"zoomx")
    article = parse(raw, url=expected["url"])
    assert article.template == "generic"
    got = article.to_dict()
    assert body_score(expected, got).f1 >= 0.99
    assert len(article.paragraphs) == len(Article.from_dict(expected).paragraphs)
    assert article.published == expected["published"]
    assert article.source == "中国高新技术产业导报"
    assert [z["heading"] for z in got["zones"]] == [z["heading"] for z in expected["zones"]]


def test_repeated_lead_paragraph_is_kept_once() -> None:
    lead = INTRO
    body = f'<div class="box"><p>导读</p><p>{lead}</p></div>' + series_body()
    article = parse(new_page(body).encode())
    assert article.paragraphs.count(lead) == 1
    assert [z.paragraphs for z in article.zones] == [(P1, P2), (P3, P4)]


def test_text_output_shows_the_heading_as_printed() -> None:
    from chihwatch.cli.parse import article_text

    body = series_body(_strong("天津滨海高新技术产业开发区"), _strong("兰州高新区"))
    text = article_text(parse(old_page(body).encode()).to_dict())
    assert "== 天津滨海高新技术产业开发区 (天津高新区) ==" in text and "== 兰州高新区 ==" in text
