"""chihwatch's parser: page bytes in, Article out (pure: no network, no database).

Pipeline: decode (charset) -> lxml tree -> site profile or generic extractor -> clean -> metadata
-> zone segmentation -> Article with `template`, `confidence` and `warnings`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

import lxml.html
from lxml import etree

from chihwatch.errors import NoArticle, NotHTML, ParseError
from parsers.clean import Cleaned, clean_blocks, walk
from parsers.decode import decode
from parsers.generic import Extraction, block_score, extract
from parsers.meta import clean_title, find_datetime, parse_datetime, read_labelled, series_info
from parsers.model import Article, Zone
from parsers.normalize import collapse_all
from parsers.profiles import Profile, match_profile
from parsers.zones import segment

__all__ = ["parse", "PARSER_VERSION", "Article", "Zone"]

PARSER_VERSION = "1.0.0"

log = logging.getLogger(__name__)
logging.getLogger(__name__).addHandler(logging.NullHandler())

# An article has at least this many characters of body text; less is an error or list page.
MIN_ARTICLE_CHARS = 80
# How far after the title (in characters of page text) the byline is looked for.
BYLINE_WINDOW = 400

_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_EDITOR_ANYWHERE_RE = re.compile(r"(?:责任编辑|责编)\s*[：:]\s*([^\s）)\]】<]{1,20})")
_TITLE_CANDIDATES = etree.XPath(
    "//h1 | //h2 | //*[contains(concat(' ', normalize-space(@class), ' '), ' title ')]"
)
_META_TIME = etree.XPath(
    "//meta[@property='article:published_time' or @name='pubdate' or @name='PubDate' "
    "or @name='publishdate' or @name='publish_time' or @itemprop='datePublished' "
    "or @name='article:published_time']/@content | //time/@datetime"
)
_OG_TITLE = etree.XPath("//meta[@property='og:title']/@content")
_HTML_TITLE = etree.XPath("//title")
_URL_DATE_RE = re.compile(r"/(20\d{2})[-/]?(\d{2})[-/]?(\d{2})/")


def parse(html: bytes, url: str | None = None, headers: Mapping[str, str] | None = None) -> Article:
    """Parse one article page; raises EmptyInput, NotHTML or NoArticle (all ParseError), nothing else."""
    if isinstance(html, str):
        html = html.encode("utf-8")
    try:
        return _parse(html, url, headers)
    except ParseError:
        raise
    except RecursionError as exc:  # absurdly deep markup
        raise NotHTML("markup nested too deeply to parse") from exc
    except Exception as exc:  # a parser bug must not take the crawler down: report it as a parse error
        log.exception("unexpected error while parsing %s", url or "<bytes>")
        raise NoArticle(f"could not parse the page ({type(exc).__name__}: {exc})") from exc


def _tree(text: str) -> etree._Element:
    text = _XML_DECL_RE.sub("", text, count=1)
    try:
        doc = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise NotHTML(f"input is not HTML ({exc})") from exc
    if doc is None:
        raise NotHTML("input is not HTML: no document")
    return doc


def _text(el: etree._Element | None) -> str:
    return collapse_all(el.text_content()) if el is not None else ""


def _parse(data: bytes, url: str | None, headers: Mapping[str, str] | None) -> Article:
    decoded = decode(data, headers)
    doc = _tree(decoded.text)
    warnings: list[str] = []
    if decoded.lossy:
        warnings.append(f"some bytes could not be decoded as {decoded.encoding}")

    result = None
    hit = match_profile(doc)
    if hit is not None:
        profile, body = hit
        result = _with_profile(doc, profile, body)
        if result is None:
            warnings.append(f"profile {profile.name} matched but its body looked wrong: used the generic extractor")
            log.info("profile %s rejected for %s", profile.name, url)
    if result is None:
        result = _with_generic(doc)
    template, title, cleaned, published, byline_src, confidence = result

    page_text = _page_text(doc)
    if published is None:
        published = _published_fallback(doc, page_text, title, url)
    window = _byline_window(page_text, title)
    source = byline_src.get("source") if byline_src else None
    author = byline_src.get("author") if byline_src else None
    source = source or read_labelled(window, "来源")
    author = author or read_labelled(window, "作者")
    editor = cleaned.editor
    if editor is None:
        m = _EDITOR_ANYWHERE_RE.search(page_text)
        editor = m.group(1) if m else None

    info = series_info(title, published)
    paragraphs = [b.text for b in cleaned.blocks]
    intro, zones = segment(paragraphs, by_zone=info.series is not None)

    if published is None:
        warnings.append("no publication time found")
        confidence -= 0.1
    if info.series is not None:
        if info.installment is None:
            warnings.append("series title without an installment number")
            confidence -= 0.1
        if not zones:
            warnings.append("series installment without any zone heading")
            confidence -= 0.3
        elif len(zones) < 2:
            confidence -= 0.1

    return Article(
        url=url,
        title=title,
        published=published,
        source=source,
        author=author,
        editor=editor,
        series=info.series,
        year=info.year,
        installment=info.installment,
        intro=intro,
        zones=zones,
        template=template,
        confidence=max(0.0, min(1.0, confidence)),
        warnings=tuple(warnings),
    )


_Result = tuple[str, str, Cleaned, "str | None", "dict[str, str | None] | None", float]


def _with_profile(doc: etree._Element, profile: Profile, body: etree._Element) -> _Result | None:
    """The fast path: a known template's selectors; None when its result looks wrong."""
    title = clean_title(_text(profile.first(doc, "title")))
    cleaned = clean_blocks(walk(body), title)
    chars = sum(len(b.text) for b in cleaned.blocks)
    if not title or chars < profile.min_body_chars:
        return None
    good = sum(1 for b in cleaned.blocks if block_score(b) > 0)
    if good == 0:
        return None
    published = parse_datetime(_text(profile.first(doc, "published")))
    byline = _text(profile.first(doc, "source"))
    src = {"source": read_labelled(byline, "来源"), "author": read_labelled(byline, "作者")}
    confidence = 0.97 if src["source"] else 0.92
    return profile.name, title, cleaned, published, src, confidence


def _with_generic(doc: etree._Element) -> _Result:
    """The general path: main-text extraction by text and punctuation density."""
    root = doc.find("body")
    if root is None:
        root = doc
    blocks = walk(root)
    ext = extract(blocks, root)
    if ext is None or ext.score < MIN_ARTICLE_CHARS:
        raise NoArticle("no article body found on the page (list page, error page or empty template?)")
    _reject_list(ext)
    title = _find_title(doc)
    cleaned = clean_blocks(list(ext.blocks), title)
    chars = sum(len(b.text) for b in cleaned.blocks)
    if chars < MIN_ARTICLE_CHARS:
        raise NoArticle(f"no article body found on the page (only {chars} characters of text)")
    if not title:
        raise NoArticle("no article title found on the page")
    concentration = max(0.0, min(1.0, ext.score / ext.positive))
    confidence = 0.5 + 0.35 * concentration
    if chars < 300:
        confidence -= 0.1
    if ext.link_density > 0.2:
        confidence -= 0.1
    return "generic", title, cleaned, None, None, min(confidence, 0.92)


def _reject_list(ext: Extraction) -> None:
    """A node of many link items with little prose is a list page, not an article."""
    links = sum(1 for b in ext.blocks if b.link_density > 0.5)
    good = sum(1 for b in ext.blocks if block_score(b) > 0)
    if ext.link_density > 0.4 or (links >= 5 and links >= good):
        raise NoArticle(f"page looks like a list of links ({links} link items, {good} paragraphs), not an article")


def _find_title(doc: etree._Element) -> str:
    """Title as shown on the page: the heading that the <title> starts with, else og:title/<title>."""
    titles = _HTML_TITLE(doc)
    page_title = clean_title(titles[0].text_content()) if titles else ""
    og = _OG_TITLE(doc)
    og_title = clean_title(og[0]) if og else ""
    keys = [k for k in (page_title.replace(" ", ""), og_title.replace(" ", "")) if k]
    first_h1 = ""
    for el in _TITLE_CANDIDATES(doc):
        text = _text(el)
        if not text or len(text) > 200:
            continue
        if not first_h1 and el.tag == "h1":
            first_h1 = text
        key = text.replace(" ", "")
        if len(key) >= 4 and any(k == key or k.startswith(key) for k in keys):
            return text
    return og_title or page_title or first_h1


def _page_text(doc: etree._Element) -> str:
    body = doc.find("body")
    return collapse_all((body if body is not None else doc).text_content())


def _byline_window(page_text: str, title: str) -> str:
    """Page text just after the title, where bylines (来源：, 作者：, time) sit."""
    if title:
        key = title[:12]
        pos = page_text.find(key)
        if pos >= 0:
            start = pos + len(key)
            return page_text[start : start + BYLINE_WINDOW]
    return page_text[:BYLINE_WINDOW]


def _published_fallback(doc: etree._Element, page_text: str, title: str, url: str | None) -> str | None:
    """Publication time from <meta>/<time>, the byline after the title, or the URL's date."""
    for value in _META_TIME(doc):
        got = parse_datetime(str(value))
        if got:
            return got
    got = find_datetime([_byline_window(page_text, title)])
    if got:
        return got
    if url:
        m = _URL_DATE_RE.search(url)
        if m:
            return parse_datetime("-".join(m.groups()))
    return None
