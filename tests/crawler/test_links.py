"""Series-link recognition, list-page link extraction and crawl scope (no network)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.links import Scope, is_article_url, match_series_title, pagination_links, series_links

PAGES = Path(__file__).resolve().parents[2] / "fixtures" / "pages"
SITE = "http://www.chinahightech.com"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        pytest.param("国家高新区密集部署\u00a02024年这样干！⑤", (2024, 5), id="circled-nbsp"),
        pytest.param(
            "国家高新区密集部署 2024年这样干!⑳", (2024, 20), id="circled-20-halfwidth-bang"
        ),
        pytest.param("国家高新区密集部署 2023年这样干（三）", (2023, 3), id="cn-fullwidth-parens"),
        pytest.param("国家高新区密集部署 2023年这样干(十二)", (2023, 12), id="cn-twelve"),
        pytest.param("国家高新区密集部署 2026年这样干！17", (2026, 17), id="arabic"),
        pytest.param(
            "国家高新区密集部署\u30002019年这样干之二", (2019, 2), id="zhi-er-ideographic-space"
        ),
        pytest.param("国家高新区密集部署 2024年这样干！", (2024, None), id="cut-before-marker"),
        pytest.param(
            "2024年国家高新区创新发展成绩单出炉 营业收入增长7.1%", None, id="not-series-year-number"
        ),
        pytest.param("国家高新区密集部署新闻发布会召开", None, id="series-name-no-year"),
        pytest.param("版权与免责声明：①凡本网注明", None, id="copyright-circled"),
    ],
)
def test_series_title(title: str, expected: tuple[int, int | None] | None) -> None:
    assert match_series_title(title) == expected


def test_series_links_older_list_page_fixture() -> None:
    raw = (PAGES / "chih2019-list-yaowen.html").read_bytes().decode("utf-8")
    links = list(series_links(raw, SITE + "/html/hotnews/yaowen/"))
    # By reading the page: six series items in #index-gz (2024 ⑤..① and 2023 （三）).
    assert [(link.year, link.number) for link in links] == [
        (2024, 5),
        (2024, 4),
        (2024, 3),
        (2024, 2),
        (2024, 1),
        (2023, 3),
    ]
    assert links[0].url == SITE + "/html/hotnews/yaowen/2024/0206/5700517.html"
    assert all(is_article_url(link.url) for link in links)
    pages = pagination_links(raw, SITE + "/html/hotnews/yaowen/")
    assert pages[0] == SITE + "/html/hotnews/yaowen/2.html"
    assert all("/html/hotnews/yaowen/" in p and not is_article_url(p) for p in pages)


def test_series_links_newer_list_page_fixture() -> None:
    raw = (PAGES / "chih2025-list-node479.html").read_bytes().decode("utf-8")
    links = {
        (link.year, link.number, link.url)
        for link in series_links(raw, SITE + "/yaowen/node_479.html")
    }
    assert {(y, n) for y, n, _ in links} == {(2025, 1), (2025, 2), (2025, 3), (2025, 4)}
    assert (2025, 4, SITE + "/yaowen/2025-02/11/content_289788.html") in links
    assert (
        pagination_links(raw, SITE + "/yaowen/node_479.html")[0] == SITE + "/yaowen/node_479_2.html"
    )


def test_sidebar_and_navigation_links_are_not_series_links() -> None:
    page = """<html><body><div class="nav"><a href="/a.html">国家高新区密集部署 2024年这样干！⑨</a></div>
    <div id="index-gz" class="list-a"><ul><li><h3><a href="/html/x/2024/0101/1.html">国家高新区密集部署 2024年这样干！①</a></h3></li>
    <li><h3><a href="/html/x/2024/0101/2.html">别的新闻</a></h3></li></ul></div>
    <div class="sidebar"><a href="/html/x/2022/0101/3.html">国家高新区密集部署 2022年这样干！①</a></div></body></html>"""
    assert [link.url for link in series_links(page, SITE + "/")] == [
        SITE + "/html/x/2024/0101/1.html"
    ]


def test_unknown_design_uses_the_page_minus_navigation() -> None:
    page = """<html><body><header><a href="/h.html">国家高新区密集部署 2024年这样干！⑨</a></header>
    <ul class="news"><li><a title="国家高新区密集部署 2027年这样干！③" href="/n/1.html">国家高新区密集部署 2027年…</a></li></ul>
    <aside><a href="/s.html">国家高新区密集部署 2022年这样干！①</a></aside></body></html>"""
    assert [(link.url, link.number) for link in series_links(page, SITE + "/")] == [
        (SITE + "/n/1.html", 3)
    ]


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://www.chinahightech.com/yaowen/node_479.html", True),
        ("https://www.chinahightech.com/yaowen/node_479.html", True),
        ("http://WWW.chinahightech.com/x.html", True),
        ("http://chinahightech.com/x.html", False),
        ("http://www.chinahightech.com.evil.example/x.html", False),
        ("http://www.chinahightech.com:8080/x.html", False),
        ("ftp://www.chinahightech.com/x.html", False),
        ("file:///etc/passwd", False),
        ("mailto:tougao@chinahightech.com", False),
        ("javascript:void(0)", False),
        ("http://127.0.0.1/x.html", False),
    ],
)
def test_scope_is_the_start_hosts_over_http(url: str, allowed: bool) -> None:
    scope = Scope.from_urls(["http://www.chinahightech.com/html/hotnews/yaowen/"])
    assert scope.allows(url) is allowed


def test_scope_on_a_local_port_excludes_other_ports_and_names() -> None:
    scope = Scope.from_urls(["http://127.0.0.1:8765/yaowen/node_479.html"])
    assert scope.allows("http://127.0.0.1:8765/a.html")
    assert not scope.allows("http://127.0.0.1:8766/a.html")
    assert not scope.allows("http://localhost:8765/a.html")


@pytest.mark.parametrize(
    ("url", "article"),
    [
        ("http://www.chinahightech.com/html/hotnews/yaowen/2024/0206/5700517.html", True),
        ("http://www.chinahightech.com/yaowen/2025-01/17/content_287543.html", True),
        ("http://www.chinahightech.com/gxq/2025-03/04/content_291208.html", True),
        ("http://www.chinahightech.com/html/hotnews/yaowen/", False),
        ("http://www.chinahightech.com/html/hotnews/yaowen/2.html", False),
        ("http://www.chinahightech.com/yaowen/node_479_2.html", False),
    ],
)
def test_article_url_shapes(url: str, article: bool) -> None:
    assert is_article_url(url) is article


def test_pagination_links_keeps_every_page_once_in_order() -> None:
    # Read by eye: 3 numbered links, a repeat of page 2, a next link to page 2, an article link,
    # a javascript: link and the page itself; expected: pages 2, 3, 4 once each, in page order.
    html = (
        '<div id="pages"><a href="2.html">2</a><a href="3.html">3</a><a href="2.html">2</a>'
        '<a href="javascript:go(4)">4</a><a href="4.html">4</a><a href="./">1</a>'
        '<a href="/html/hotnews/yaowen/2024/0101/9.html">x</a></div><a href="2.html">下一页</a>'
    )
    base = SITE + "/html/hotnews/yaowen/"
    assert pagination_links(html, base) == [base + "2.html", base + "3.html", base + "4.html"]
