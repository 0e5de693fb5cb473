"""Metadata: title, +08:00 times, source/author/editor, series, year, installment markers."""

from __future__ import annotations

import pytest

from parsers import parse
from parsers.meta import clean_title, installment_number, parse_datetime, read_labelled, series_info
from tests.parsers.chihparse_pages import new_page, old_page, series_body


@pytest.mark.parametrize(
    ("title", "number"),
    [
        ("国家高新区密集部署 2024年这样干！①", 1),
        ("国家高新区密集部署 2024年这样干！⑤", 5),
        ("国家高新区密集部署 2024年这样干！⑩", 10),
        ("国家高新区密集部署 2024年这样干！⑳", 20),
        ("国家高新区密集部署 2023年这样干（三）", 3),
        ("国家高新区密集部署 2023年这样干(十二)", 12),
        ("国家高新区密集部署 2023年这样干（二十）", 20),
        ("国家高新区密集部署 2022年这样干！5", 5),
        ("国家高新区密集部署 2022年这样干（7）", 7),
        ("国家高新区密集部署 2022年这样干！", None),
        ("国家高新区密集部署 2024年这样干", None),
    ],
)
def test_installment_markers(title: str, number: int | None) -> None:
    assert installment_number(title) == number


def test_series_year_from_title_then_published() -> None:
    assert series_info("国家高新区密集部署 2023年这样干（三）") == series_info(
        "国家高新区密集部署 2023年这样干（三）", "2024-01-01"
    )
    info = series_info("国家高新区密集部署 2023年这样干（三）")
    assert (info.series, info.year, info.installment) == ("国家高新区密集部署", 2023, 3)
    assert series_info("国家高新区密集部署这样干！②", "2025-01-21T08:45:00+08:00").year == 2025
    other = series_info("2024年国家高新区创新发展成绩单出炉 营业收入增长7.1%")
    assert (other.series, other.year, other.installment) == (None, None, None)


def test_page_metadata_older_template() -> None:
    page = old_page(
        series_body(),
        source="来源：中国高新技术产业导报&nbsp;&nbsp;作者：李洋&nbsp;&nbsp;评论：0",
    )
    article = parse(page.encode("utf-8"), url="http://example.invalid/a.html")
    assert article.title == "国家高新区密集部署 2024年这样干！⑤"  # NBSP -> one ASCII space, ！ kept
    assert article.published == "2024-02-06T08:53:40+08:00"
    assert (article.source, article.author, article.editor) == (
        "中国高新技术产业导报",
        "李洋",
        "韩梦晨",
    )
    assert (article.series, article.year, article.installment) == ("国家高新区密集部署", 2024, 5)
    assert article.url == "http://example.invalid/a.html"
    assert article.template == "chih-2019" and article.confidence >= 0.95


def test_page_metadata_generic_path() -> None:
    title = "国家高新区密集部署&nbsp;&nbsp;2025年这样干！③"
    byline = "<span>2025-02-07 10:03</span> <span>来源：中国高新技术产业导报</span> <span>作者：张伟</span>"
    article = parse(new_page(series_body(), title=title, byline=byline).encode("utf-8"))
    assert article.template == "generic"
    assert article.title == "国家高新区密集部署 2025年这样干！③"
    assert article.published == "2025-02-07T10:03:00+08:00"
    assert (article.source, article.author, article.editor) == (
        "中国高新技术产业导报",
        "张伟",
        "韩梦晨",
    )
    assert (article.year, article.installment) == (2025, 3)
    assert 0.5 <= article.confidence < 0.95  # a generic hit is less sure than a clean profile hit


def test_meta_published_time_converted_to_beijing() -> None:
    head = '<meta property="article:published_time" content="2025-01-17T01:12:00Z">'
    article = parse(
        new_page(series_body(), byline="<span>来源：中国高新网</span>", head_extra=head).encode(
            "utf-8"
        )
    )
    assert article.published == "2025-01-17T09:12:00+08:00"


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2024-02-06 08:53:40", "2024-02-06T08:53:40+08:00"),
        ("发布时间：2024年2月6日 08:53", "2024-02-06T08:53:00+08:00"),
        ("2024/02/06", "2024-02-06"),
        ("2024-02-06T00:53:40+00:00", "2024-02-06T08:53:40+08:00"),
        ("2024-02-30 08:00", None),
        ("评论：0", None),
    ],
)
def test_parse_datetime(text: str, iso: str | None) -> None:
    assert parse_datetime(text) == iso


def test_read_labelled_stops_at_the_next_label() -> None:
    line = "来源：中国高新技术产业导报\u00a0\u00a0作者：王淼\u00a0\u00a0评论：0"
    assert read_labelled(line, "来源") == "中国高新技术产业导报"
    assert read_labelled(line, "作者") == "王淼"
    assert read_labelled("来源：中国高新网 2025-01-17 09:12", "来源") == "中国高新网"
    assert read_labelled("评论：0", "作者") is None


def test_clean_title_drops_site_suffix_only() -> None:
    assert (
        clean_title("国家高新区密集部署\u00a02024年这样干！⑤_中国高新网")
        == "国家高新区密集部署 2024年这样干！⑤"
    )
    assert clean_title("园区“十四五”-新篇章 - 中国高新网 - 要闻") == "园区“十四五”-新篇章"


def test_time_above_the_title_is_found() -> None:
    page = new_page(series_body(), byline="<span>来源：中国高新技术产业导报</span>").replace(
        '<h1 class="art-tit">', '<div class="d">2025-01-17 09:12:33</div><h1 class="art-tit">'
    )
    article = parse(page.encode("utf-8"))
    assert article.published == "2025-01-17T09:12:33+08:00"
    assert article.source == "中国高新技术产业导报"


def test_time_from_the_url_when_the_page_shows_none() -> None:
    page = new_page(series_body(), byline="<span>来源：中国高新技术产业导报</span>")
    article = parse(
        page.encode("utf-8"),
        url="http://www.chinahightech.com/yaowen/2025-01/17/content_287543.html",
    )
    assert article.published == "2025-01-17"
    assert "no publication time found" not in article.warnings
    assert parse(page.encode("utf-8")).published is None
