"""What the spider reads on the site's pages: series titles, article URLs, list items, scope.

The site's facts (start URLs, article URL patterns, list and pagination areas) are data in
parsers/site.py, with everything else known about chih.cn; adding a site design means adding a
pattern or a selector there, not a branch here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from parsel import Selector

import parsers.series
from parsers.site import ARTICLE_URL_PATTERNS, DEFAULT_START_URLS, LIST_AREAS, PAGINATION_AREAS

__all__ = [
    "SeriesLink",
    "Scope",
    "match_series_title",
    "is_article_url",
    "series_links",
    "pagination_links",
    "DEFAULT_START_URLS",
]

# When no list area matches, the whole page minus the usual navigation and sidebar containers is
# searched.
NON_CONTENT = (
    "header",
    "nav",
    "footer",
    "aside",
    ".header",
    ".nav",
    ".menu",
    ".sidebar",
    ".side",
    ".rank",
    ".footer",
    ".foot",
    ".crumb",
    ".position",
)
NEXT_TEXTS = ("下一页", "下页", "next", "Next", ">", "»")


@dataclass(frozen=True)
class SeriesLink:
    """A link whose title names a series installment."""

    url: str
    title: str
    year: int
    number: int | None  # None when the title is cut off before its marker


def match_series_title(text: str) -> tuple[int, int | None] | None:
    """(year, installment number or None) when `text` is a series title naming its year, else None."""
    info = parsers.series.match_series_title(text)
    if info is None or info.year is None:
        return None
    return info.year, info.installment


def is_article_url(url: str) -> bool:
    """Whether the URL looks like an article page of either design."""
    path = urlsplit(url).path
    return any(p.search(path) for p in ARTICLE_URL_PATTERNS)


def _default_port(scheme: str) -> int | None:
    return {"http": 80, "https": 443}.get(scheme)


@dataclass(frozen=True)
class Scope:
    """The hosts a crawl may fetch from: those of its start URLs, http(s) only.

    Host and port both count, so another server on the same machine is another site (tests serve
    the mirror on 127.0.0.1:PORT and its "offsite" links as localhost:PORT); http and https on their
    default ports are the same site.
    """

    hosts: frozenset[tuple[str, int | None]]

    @classmethod
    def from_urls(cls, urls: Iterable[str]) -> Scope:
        hosts: set[tuple[str, int | None]] = set()
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                continue
            port = parts.port or _default_port(parts.scheme)
            hosts.add((parts.hostname.lower(), port))
            if port in (80, 443):
                hosts.add((parts.hostname.lower(), 443 if port == 80 else 80))
        return cls(frozenset(hosts))

    def allows(self, url: str) -> bool:
        try:
            parts = urlsplit(url)
            port = parts.port or _default_port(parts.scheme)
        except ValueError:
            return False
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False
        return (parts.hostname.lower(), port) in self.hosts


def _anchors(sel: Selector, areas: Iterable[str]) -> list[Selector]:
    for area in areas:
        found = sel.css(area)
        if found:
            return found.css("a")
    return []


def _content_anchors(sel: Selector) -> list[Selector]:
    anchors = _anchors(sel, LIST_AREAS)
    if anchors:
        return anchors
    # Unknown design: every link outside navigation, header, footer and sidebars.
    skip = " or ".join(f"ancestor::*[{_css_class_xpath(c)}]" for c in NON_CONTENT)
    return sel.xpath(f"//a[not({skip})]")


def _css_class_xpath(css: str) -> str:
    if css.startswith("."):
        return f"contains(concat(' ', normalize-space(@class), ' '), ' {css[1:]} ')"
    if css.startswith("#"):
        return f"@id='{css[1:]}'"
    return f"self::{css}"


def _link_text(a: Selector) -> str:
    return " ".join(" ".join(a.css("::text").getall()).split())


def series_links(html: bytes | str, base_url: str) -> Iterator[SeriesLink]:
    """Series links in a list page's item area (navigation and sidebars excluded)."""
    sel = Selector(text=html.decode("utf-8", "replace") if isinstance(html, bytes) else html)
    for a in _content_anchors(sel):
        href = (a.attrib.get("href") or "").strip()
        if not href or href.startswith("#"):
            continue
        for text in (_link_text(a), a.attrib.get("title", "")):
            match = match_series_title(text)
            if match:
                yield SeriesLink(urljoin(base_url, href), text, match[0], match[1])
                break


def _element_text(el: Any) -> str:
    """An lxml element's text as `_link_text` reads a Selector's: every text node, spaces folded."""
    return " ".join(" ".join(el.itertext()).split())


def pagination_links(html: bytes | str, base_url: str) -> list[str]:
    """Other pages of the same list (numbered and next links), in page order, no article URLs.

    Linear in the page's links: one pass over the anchors on lxml elements, a set for the URLs
    already taken (a list membership test made 10,000 links cost seconds).
    """
    sel = Selector(text=html.decode("utf-8", "replace") if isinstance(html, bytes) else html)
    elements = [a.root for a in _anchors(sel, PAGINATION_AREAS)]
    root = sel.root
    if hasattr(root, "iter"):
        elements += [el for el in root.iter("a") if _element_text(el) in NEXT_TEXTS]
    out: list[str] = []
    seen: set[str] = {base_url}
    for el in elements:
        href = (el.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:")):
            continue
        url = urljoin(base_url, href)
        if url not in seen:
            seen.add(url)
            if not is_article_url(url):
                out.append(url)
    return out
