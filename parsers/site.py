"""What chihwatch knows about chih.cn (中国高新网) and its e-paper, as data: the series' name, the
site's names in page titles, the article templates (profiles), article URL patterns, the list
pages and where their items and pagination sit. docs/site.md states these facts and their sources.

Logic lives elsewhere (parsers/selectors.py matches a profile, parsers/series.py reads a series
title, crawler/links.py reads list pages); a site redesign means editing this module, not a branch.
"""

from __future__ import annotations

import re

from parsers.selectors import Profile

__all__ = [
    "SERIES_NAME",
    "SITE_NAMES",
    "TITLE_SITE_NAMES",
    "PROFILES",
    "DEFAULT_START_URLS",
    "ARTICLE_URL_PATTERNS",
    "LIST_AREAS",
    "PAGINATION_AREAS",
]

# The series we track ("国家高新区密集部署 2024年这样干！⑤"); parsers/series.py reads its titles.
SERIES_NAME = "国家高新区密集部署"

# A <title> that is only the site's or the paper's name (the e-paper's) says nothing of the article.
SITE_NAMES = frozenset(
    ("中国高新网", "中国高新技术产业导报", "中高新传媒", "中国高新技术产业导报数字报")
)
# Site names that end a <title> after a separator: "…！⑤_中国高新网", "… - 中国高新网 - 要闻"
# (matched case-insensitively by parsers/meta.py).
TITLE_SITE_NAMES = (
    "中国高新网",
    "中国高新技术产业导报",
    "中高新传媒",
    "chinahightech.com",
    "chinahightech",
    "chih.cn",
    "高新网",
)

PROFILES: tuple[Profile, ...] = (
    # The older chih.cn article template (2019-2024), as public crawlers of the site read it.
    Profile(
        name="chih-2019",
        title="div.title_nr h1",
        body="div.content",
        published="div.addtime",
        source="div.source",
        url_hint="/html/hotnews/",
        markers=(b"title_nr", b"content"),
    ),
    # The e-paper of 中国高新技术产业导报 (paper.chinahightech.com), article view: the
    # 版面 header `第A9版:园区党建` and the issue date above the title, a 导读 lead box, the text in
    # `#ozoom`, a citation line `《中国高新技术产业导报》（2025年03月24日 第A9版）` under it.
    Profile(
        name="chih-epaper",
        title="div.article h1",
        body="div#ozoom",
        published="div.newsdate",
        url_hint="paper.chinahightech.com",
        markers=(b"ozoom", b"newsdate"),
        source_name="中国高新技术产业导报",
        hosts=("paper.chinahightech.com",),
    ),
)

# The real site's list pages, both designs.
DEFAULT_START_URLS: tuple[str, ...] = (
    "http://www.chinahightech.com/html/hotnews/yaowen/",
    "http://www.chinahightech.com/yaowen/node_479.html",
)

# Article URLs of the two designs; anything else given as a start URL is a list page.
ARTICLE_URL_PATTERNS = (
    re.compile(
        r"/html/(?:[\w-]+/)+\d{4}/\d{4}/\d+\.html?$"
    ),  # older: /html/hotnews/yaowen/2024/0206/5700517.html
    re.compile(
        r"/(?:[\w-]+/)+\d{4}-\d{2}/\d{2}/content_\d+\.html?$"
    ),  # newer: /yaowen/2025-01/17/content_287543.html
)

# Where a list page keeps its items (older design, newer design); when none matches, the crawler
# searches the whole page minus the usual navigation and sidebar containers.
LIST_AREAS = ("#index-gz", ".list-a", ".list-main")
# Where the pagination sits (the older design's `#pages`, then the usual names).
PAGINATION_AREAS = ("#pages", ".pages", ".page", ".pagination", ".pager")
