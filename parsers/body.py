"""Finding the article: a site profile's selectors (the fast path), else the generic extractor.
Each path yields a Found: title, cleaned body, what its byline said, and its confidence."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from chihwatch.errors import NoArticle
from parsers.blocks import Block, Span, walk
from parsers.clean import Cleaned, clean_blocks
from parsers.confidence import (
    GENERIC_CAP,
    PENALTY,
    PROFILE_CONFIDENCE,
    PROFILE_NO_SOURCE_CONFIDENCE,
)
from parsers.fallbacks import BYLINE_WINDOW
from parsers.generic import block_score, extract
from parsers.html import metas, raw_text, text
from parsers.meta import clean_title, find_stamp, parse_stamp, read_labelled
from parsers.normalize import collapse_all
from parsers.profiles import Profile, TagIndex
from parsers.site import SITE_NAMES

__all__ = ["Found", "MIN_ARTICLE_CHARS", "with_profile", "with_generic", "find_title"]

# An article has at least this many characters of body text; less is an error or list page.
MIN_ARTICLE_CHARS = 80
# How many blocks before the body are searched for the title (the byline lies between them).
BYLINE_BLOCKS = 12

_CLASS_TITLE = etree.XPath("//*[contains(concat(' ', normalize-space(@class), ' '), ' title ')]")


@dataclass(frozen=True)
class Found:
    """What one extraction path found before the shared metadata steps."""

    template: str
    title: str
    title_el: etree._Element | None
    cleaned: Cleaned
    published: tuple[str, str] | None  # (ISO value, precision)
    source: str | None
    author: str | None
    confidence: float
    after: tuple[Block, ...] = ()  # blocks following the body (generic path), for the editor line
    byline_seen: bool = False  # a byline was read: a missing author is absent, not unfound


def with_profile(
    doc: etree._Element, profile: Profile, body: etree._Element, index: TagIndex
) -> Found | None:
    """The fast path: a known template's selectors; None when its result looks wrong."""
    title_el = profile.first(doc, "title", index)
    title = clean_title(raw_text(title_el))
    cleaned = clean_blocks(walk(body), title)
    chars = sum(len(b.text) for b in cleaned.blocks)
    if not title or chars < profile.min_body_chars:
        return None
    if not any(block_score(b) > 0 for b in cleaned.blocks):
        return None
    published = parse_stamp(text(profile.first(doc, "published", index)))
    byline = text(profile.first(doc, "source", index))
    source = read_labelled(byline, "来源") or cleaned.source or profile.source_name
    return Found(
        profile.name,
        title,
        title_el,
        cleaned,
        published,
        source,
        read_labelled(byline, "作者") or cleaned.author,
        PROFILE_CONFIDENCE if source else PROFILE_NO_SOURCE_CONFIDENCE,
        byline_seen=bool(byline) or profile.source_name is not None,
    )


def with_generic(doc: etree._Element) -> Found:
    """The general path: main-text extraction by text and punctuation density."""
    root = doc.find("body")
    if root is None:
        root = doc
    spans: list[Span] = []
    blocks = walk(root, spans=spans)
    ext = extract(blocks, spans)
    if ext is None or ext.score < MIN_ARTICLE_CHARS:
        raise NoArticle(
            "no article body found on the page (list page, error page or empty template?)"
        )
    links = sum(1 for b in ext.blocks if b.link_chars * 2 > len(b.text))
    if ext.link_density > 0.4 or (links >= 5 and links >= ext.good):
        raise NoArticle(
            f"page looks like a list of links ({links} link items, {ext.good} paragraphs), not an article"
        )
    title, title_el = find_title(doc, root, blocks)
    byline = _byline_blocks(blocks, ext.start, title_el)
    cleaned = clean_blocks(list(ext.blocks), title)
    chars = sum(len(b.text) for b in cleaned.blocks)
    if chars < MIN_ARTICLE_CHARS:
        raise NoArticle(f"no article body found on the page (only {chars} characters of text)")
    if not title:
        raise NoArticle("no article title found on the page")
    # How much of the page's article-like text the chosen node holds, net of chrome inside it.
    concentration = max(0.0, min(1.0, ext.score / ext.positive))
    confidence = 0.5 + 0.35 * concentration + (0.05 if title_el is not None else 0.0)
    if chars < 300:
        confidence -= PENALTY
    if ext.link_density > 0.2:
        confidence -= PENALTY
    published = find_stamp([byline]) if byline else None
    if published is not None and published[1] == "day":
        published = None  # a bare date may be a sidebar's; let the fallbacks (meta, URL) decide
    return Found(
        "generic",
        title,
        title_el,
        cleaned,
        published,
        (read_labelled(byline, "来源") if byline else None) or cleaned.source,
        (read_labelled(byline, "作者") if byline else None) or cleaned.author,
        min(confidence, GENERIC_CAP),
        ext.after,
        byline_seen=bool(byline),
    )


def _byline_blocks(blocks: list[Block], start: int, title_el: etree._Element | None) -> str:
    """Text of the short blocks right after the title block: the byline, already walked."""
    if title_el is None:
        return ""
    for i in range(max(0, start - BYLINE_BLOCKS), min(len(blocks), start + BYLINE_BLOCKS)):
        if blocks[i].element is title_el:
            parts = []
            for b in blocks[i + 1 : i + 1 + 6]:
                if len(b.text) > 120 or b.text[-1] in "。！？”；":
                    break  # a sentence: the body begins
                parts.append(b.text)
            return collapse_all(" ".join(parts))[:BYLINE_WINDOW]
    return ""


def find_title(
    doc: etree._Element, body: etree._Element, blocks: list[Block] | None = None
) -> tuple[str, etree._Element | None]:
    """Title as shown on the page: the heading the <title> (else og:title) starts with, else those.

    Candidates are the walked <h1>/<h2> blocks when there are any (no second pass over the tree),
    else every <h1>/<h2> of the body; elements with a `title` class are the last resort.
    """
    head_title = doc.find("head/title")
    if head_title is None:
        head_title = doc.find(".//title")
    page_title = clean_title(raw_text(head_title))
    if page_title in SITE_NAMES:
        page_title = ""  # the e-paper's <title> is the paper's name: the <h1> is the title
    if blocks:
        candidates = [(collapse_all(b.text), b.element) for b in blocks if b.tag in ("h1", "h2")]
    else:
        candidates = []
    if not candidates:
        candidates = [(text(el), el) for el in body.iter("h1", "h2")]
    hit = _title_match(candidates, page_title)
    if hit is not None:
        return hit
    og_title = clean_title(metas(doc).get("og:title"))
    hit = _title_match(candidates, og_title)
    if hit is None:
        classed = [(text(el), el) for el in _CLASS_TITLE(body)]
        hit = _title_match(classed, page_title) or _title_match(classed, og_title)
    if hit is not None:
        return hit
    if og_title or page_title:
        return og_title or page_title, None
    h1 = next(((t, el) for t, el in candidates if el.tag == "h1" and t), None)
    return h1 if h1 is not None else ("", None)


def _title_match(
    candidates: list[tuple[str, etree._Element]], page_title: str
) -> tuple[str, etree._Element] | None:
    """The first candidate that the page title starts with (spaces ignored)."""
    key = page_title.replace(" ", "")
    if not key:
        return None
    for text_, el in candidates:
        ckey = text_.replace(" ", "")
        if 4 <= len(ckey) <= 200 and (key == ckey or key.startswith(ckey)):
            return text_, el
    return None
