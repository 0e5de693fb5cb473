"""Metadata the body's path did not give, read from the page around it: the byline window after
the title, the text before it, the publication time (<meta>, JSON-LD, <time>, text, URL) and the
editor line."""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import etree

from parsers.blocks import Block
from parsers.clean import EDITOR_RE
from parsers.html import metas, raw_text
from parsers.meta import find_stamp, jsonld_published, parse_stamp
from parsers.normalize import collapse_all

__all__ = [
    "BYLINE_WINDOW",
    "byline_window",
    "text_before",
    "published_fallback",
    "editor_after",
    "editor_anywhere",
]

# How much page text after the title (characters) is searched for the byline (来源：, 作者：, time).
BYLINE_WINDOW = 400

_EDITOR_ANYWHERE_RE = re.compile(r"(?:责任编辑|责编)\s*[：:]\s*([^\s）)\]】<]{1,20})")
# <meta> names/properties that carry the publication time (lower-cased).
_META_TIME_KEYS = (
    "article:published_time",
    "pubdate",
    "publishdate",
    "publish_time",
    "published_time",
    "datepublished",
    "og:release_date",
    "dc.date.issued",
)
_URL_DATE_RE = re.compile(r"/(20\d{2})[-/]?(\d{2})[-/]?(\d{2})/")


def byline_window(doc: etree._Element, title_el: etree._Element | None, title: str) -> str:
    """Page text right after the title element (or the title's first mention), where bylines sit."""
    if title_el is not None:
        parts: list[str] = []
        n = 0
        node: etree._Element | None = title_el
        while node is not None and n < BYLINE_WINDOW and node.tag != "body":
            if node.tail:
                parts.append(node.tail)
                n += len(node.tail)
            for sib in node.itersiblings():
                if not isinstance(sib.tag, str):
                    continue
                for t in sib.itertext():  # stops early inside a long body, unlike tostring()
                    parts.append(t)
                    n += len(t)
                    if n >= BYLINE_WINDOW:
                        break
                if sib.tail:
                    parts.append(sib.tail)
                    n += len(sib.tail)
                if n >= BYLINE_WINDOW:
                    break
            node = node.getparent()
        return collapse_all(" ".join(parts))[:BYLINE_WINDOW]
    text = collapse_all(raw_text(doc.find("body")))
    pos = text.find(title) if title else -1
    start = pos + len(title) if pos >= 0 else 0
    return text[start : start + BYLINE_WINDOW]


def text_before(title_el: etree._Element | None, limit: int = 200) -> str:
    """Page text right before the title element (some designs put the date above the title)."""
    if title_el is None:
        return ""
    parts: list[str] = []
    n = 0
    node: etree._Element | None = title_el
    while node is not None and n < limit and node.tag != "body":
        for sib in node.itersiblings(preceding=True):
            if not isinstance(sib.tag, str):
                continue
            t = raw_text(sib, tail=True)[-limit:]
            parts.append(t)
            n += len(t)
            if n >= limit:
                break
        node = node.getparent()
    return collapse_all(" ".join(reversed(parts)))[-limit:]


def _markup_time(doc: etree._Element) -> tuple[str, str] | None:
    """Publication time the markup states: <meta>, JSON-LD datePublished, <time datetime>."""
    page_metas = metas(doc)
    for value in [page_metas[k] for k in _META_TIME_KEYS if k in page_metas]:
        got = parse_stamp(value)
        if got:
            return got
    scripts = [
        el.text or ""
        for el in doc.iter("script")
        if "ld+json" in (el.get("type") or "") and "datePublished" in (el.text or "")
    ]
    got = jsonld_published(scripts) if scripts else None
    if got:
        return got
    for value in [str(v) for v in (el.get("datetime") for el in doc.iter("time")) if v]:
        got = parse_stamp(value)
        if got:
            return got
    return None


def published_fallback(
    doc: etree._Element, window: str, url: str | None, before: Callable[[], str] | None = None
) -> tuple[str, str] | None:
    """Publication time from <meta>/<time>, the text after (else before) the title, the URL's date."""
    got = _markup_time(doc)
    if got:
        return got
    got = find_stamp([window])
    if got and got[1] != "day":
        return got
    earlier = find_stamp([before()]) if before is not None else None
    if earlier and (earlier[1] != "day" or not got):
        return earlier
    if got:
        return got
    if url:
        m = _URL_DATE_RE.search(url)
        if m:
            return parse_stamp("-".join(m.groups()))
    return None


def editor_after(blocks: tuple[Block, ...]) -> str | None:
    """The editor line among the blocks following the body."""
    for block in blocks:
        m = EDITOR_RE.match(block.text)
        if m:
            return collapse_all(m.group(1))
    return None


def editor_anywhere(doc: etree._Element) -> str | None:
    """The first `责任编辑：X` anywhere in the page's text."""
    m = _EDITOR_ANYWHERE_RE.search(raw_text(doc.find("body")))
    return m.group(1) if m else None
