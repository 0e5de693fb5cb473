"""Bad input: empty, binary, non-HTML, no article, truncated; nothing but ParseError escapes parse()."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chihwatch.errors import EmptyInput, NoArticle, NotHTML, ParseError
from parsers import parse
from tests.parsers.chihparse_pages import INTRO, P1, P2, P3, new_page, old_page, series_body

PAGES = Path(__file__).resolve().parents[2] / "fixtures" / "pages"


@pytest.mark.parametrize("data", [b"", b"   \n\t  ", b"\r\n"], ids=["empty", "spaces", "newline"])
def test_empty_input(data: bytes) -> None:
    with pytest.raises(EmptyInput):
        parse(data)


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
        bytes(range(256)) * 16,
        b"\x1f\x8b\x08\x00" + b"\x00" * 64,
    ],
    ids=["png", "pdf", "binary", "gzip"],
)
def test_binary_is_not_html(data: bytes) -> None:
    with pytest.raises(NotHTML):
        parse(data)


@pytest.mark.parametrize(
    "data",
    [
        b"hello world, no markup at all",
        '{"title": "国家高新区密集部署"}'.encode(),
        "纯文本，没有任何标签。".encode(),
    ],
    ids=["text", "json", "chinese-text"],
)
def test_text_without_markup_is_not_html(data: bytes) -> None:
    with pytest.raises(NotHTML):
        parse(data)


def test_list_page_has_no_article() -> None:
    items = "".join(
        f'<li><h3><a href="/html/{i}.html">国家高新区密集部署 2024年这样干！{chr(0x2460 + i)}</a></h3><span>2024-02-0{i % 9 + 1}</span></li>'
        for i in range(12)
    )
    page = f'<html><head><title>要闻_中国高新网</title></head><body><div class="nav"><a href="/">首页</a></div><div id="index-gz" class="list-a"><ul>{items}</ul></div><div id="pages" class="text-c"><a class="a1">下一页</a></div></body></html>'
    with pytest.raises(NoArticle):
        parse(page.encode("utf-8"))


def test_error_page_has_no_article() -> None:
    page = "<html><head><title>404 页面不存在</title></head><body><h1>404</h1><p>抱歉，您访问的页面不存在。</p><a href='/'>返回首页</a></body></html>"
    with pytest.raises(NoArticle):
        parse(page.encode("utf-8"))


def test_profile_page_with_empty_body_falls_back_to_generic() -> None:
    # The old template's selectors match, but div.content is empty; the text sits elsewhere.
    page = old_page("", title="长三角国家高新区协同创新按下“快进键”").replace(
        '<div class="content">',
        f'<div class="article-text"><p>{INTRO}</p><p>{P1}</p><p>{P3}</p></div><div class="content">',
    )
    article = parse(page.encode("utf-8"))
    assert article.template == "generic"
    assert article.intro == (INTRO, P1, P3)
    assert any("chih-2019" in w for w in article.warnings)


def test_truncated_html_parses_what_is_there() -> None:
    data = old_page(series_body()).encode("utf-8")
    cut = data[
        : data.index(P2.encode("utf-8")) + 30
    ]  # mid-paragraph, mid-character, no closing tags
    article = parse(cut)
    assert article.intro == (INTRO,)
    assert [z.name for z in article.zones] == ["威海高新区"]
    assert article.zones[0].paragraphs[0] == P1
    assert P2.startswith(
        article.zones[0].paragraphs[1][:-1]
    )  # the cut paragraph, as far as it goes


def test_truncated_generic_page_parses_what_is_there() -> None:
    data = new_page(series_body()).encode("utf-8")
    cut = data[: data.index(P3.encode("utf-8"))]
    article = parse(cut)
    assert article.template == "generic"
    assert [z.name for z in article.zones] == ["威海高新区", "天津高新区"]
    assert article.zones[0].paragraphs == (P1, P2)


def test_deeply_nested_markup_does_not_crash() -> None:
    page = (
        "<html><body>" + "<div>" * 5000 + f"<p>{INTRO}{P1}</p>" + "</div>" * 5000 + "</body></html>"
    )
    try:
        parse(page.encode("utf-8"))
    except ParseError:
        pass  # refusing is fine; a RecursionError escaping is not


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_random_bytes_only_raise_parse_errors(data: bytes) -> None:
    try:
        parse(data)
    except ParseError:
        pass


_FIXTURE_BYTES = [p.read_bytes() for p in sorted(PAGES.glob("*.html"))] or [
    new_page(series_body()).encode("utf-8")
]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(_FIXTURE_BYTES),
    st.integers(min_value=0, max_value=10**6),
    st.integers(0, 10**6),
    st.binary(max_size=64),
)
def test_damaged_pages_only_raise_parse_errors(
    page: bytes, start: int, length: int, junk: bytes
) -> None:
    """Cut a page anywhere and splice junk in: parse() returns an Article or raises a ParseError."""
    i = start % (len(page) + 1)
    j = min(len(page), i + length % 4096)
    try:
        parse(page[:i] + junk + page[j:])
    except ParseError:
        pass


def test_sidebar_teasers_with_summaries_stay_out_of_the_body() -> None:
    # Summaries are punctuated prose; only their list items' link titles betray them as chrome.
    teasers = "".join(
        f'<li><a href="/n{i}.html">高新区新闻标题第{i}条</a><p>这是第{i}条新闻的摘要，介绍了某高新区近期的工作进展，'
        "包括招商引资、项目建设和科技创新等方面的情况。</p></li>"
        for i in range(6)
    )
    page = new_page(series_body()).replace(
        '<div class="col-r">', f'<div class="col-z"><ul>{teasers}</ul></div><div class="col-r">'
    )
    article = parse(page.encode("utf-8"))
    assert "摘要" not in article.body_text
    assert [z.name for z in article.zones] == ["威海高新区", "天津高新区"]


def test_repeated_div_teasers_stay_out_of_the_body() -> None:
    # No list markup and no chrome class: the repetition of link title + summary + date gives it away.
    teasers = "".join(
        f'<div class="it"><div class="t"><a href="/n{i}.html">高新区新闻标题第{i}条</a></div>'
        f'<div class="s">这是第{i}条新闻的摘要，介绍了某高新区近期的工作进展，包括招商引资、项目建设和科技创新等方面的情况。</div>'
        f'<div class="d">2025-01-0{i + 1}</div></div>'
        for i in range(5)
    )
    page = new_page(series_body()).replace(
        '<div class="art-foot">',
        f'<div class="box"><h4>更多报道</h4>{teasers}</div><div class="art-foot">',
    )
    article = parse(page.encode("utf-8"))
    assert "摘要" not in article.body_text
    assert [z.name for z in article.zones] == ["威海高新区", "天津高新区"]


def test_zone_sections_with_linked_headings_are_not_teasers() -> None:
    sections = "".join(
        f'<section><p>【<a href="/gxq/">{zone}</a>】</p><p>{a}</p><p>{b}</p></section>'
        for zone, a, b in (("威海高新区", P1, P2), ("天津高新区", P3, P2), ("兰州高新区", P1, P3))
    )
    article = parse(new_page(f"<p>{INTRO}</p>{sections}").encode("utf-8"))
    assert [(z.name, z.paragraphs) for z in article.zones] == [
        ("威海高新区", (P1, P2)),
        ("天津高新区", (P3, P2)),
        ("兰州高新区", (P1, P3)),
    ]
