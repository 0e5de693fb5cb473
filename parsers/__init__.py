"""chihwatch's parser: page bytes in, Article out (pure: no network, no database).

Pipeline: decode (charset) -> lxml tree -> site profile or generic extractor -> clean -> metadata
-> zone segmentation -> Article with `template`, `confidence` and `warnings`.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from lxml import etree

from chihwatch.errors import NoArticle, NotHTML, ParseError
from parsers.clean import EDITOR_RE, Block, Cleaned, Span, clean_blocks, walk
from parsers.decode import (
    PERMISSIVE,
    declared_charsets,
    decode,
    has_markup,
    normalise_charset,
    precheck,
)
from parsers.generic import block_score, extract
from parsers.meta import (
    SITE_NAMES,
    clean_title,
    find_stamp,
    jsonld_published,
    parse_stamp,
    read_labelled,
    series_info,
)
from parsers.model import Article, Zone
from parsers.normalize import collapse_all
from parsers.profiles import Profile, TagIndex, match_profile
from parsers.zones import opener_checks, segment

__all__ = ["parse", "PARSER_VERSION", "Article", "Zone"]

PARSER_VERSION = "1.1.0"

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

# An article has at least this many characters of body text; less is an error or list page.
MIN_ARTICLE_CHARS = 80
# How much page text after the title (characters) is searched for the byline (来源：, 作者：, time).
BYLINE_WINDOW = 400
# How many blocks before the body are searched for the title (the byline lies between them).
BYLINE_BLOCKS = 12

_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
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
_CLASS_TITLE = etree.XPath("//*[contains(concat(' ', normalize-space(@class), ' '), ' title ')]")
_URL_DATE_RE = re.compile(r"/(20\d{2})[-/]?(\d{2})[-/]?(\d{2})/")
# A page cut off in transit or by a CMS that died while rendering never reaches its end tags; every
# chih.cn page (both designs) ends with `</body></html>` after the footer and scripts.
_END_TAG_B = re.compile(rb"<\s*/\s*(?:html|body)\s*>", re.IGNORECASE)
_END_TAG = re.compile(r"<\s*/\s*(?:html|body)\s*>", re.IGNORECASE)
# The end tags are looked for in the page's last bytes first (where they are), then everywhere.
_TAIL_BYTES = 4096
# Confidence of a truncated page: below the store's suspect threshold (0.5), whatever else it found.
TRUNCATED_CONFIDENCE = 0.4
# Confidence of a series installment whose segmentation looks wrong (no zone heading at all, or a
# zone's opening sentence inside another section): below the store's suspect threshold, so a page
# that lost its headings is never stored as a revision that merges zones.
SUSPECT_ZONES_CONFIDENCE = 0.45
# A zone whose heading only its shape gave away (not in the gazetteer), or a zone that a paragraph
# opens on but that is nowhere a heading: kept, flagged, and never at a clean hit's confidence.
UNKNOWN_ZONE_PENALTY = 0.1
UNKNOWN_ZONE_CONFIDENCE = 0.8

# A plain libxml2 HTML parser (not lxml.html's): no Python class lookup per element, which is most
# of the cost of walking a fresh tree. Parsers are not shared between threads.
_local = threading.local()


def _parser() -> etree.HTMLParser:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.HTMLParser(remove_comments=True, remove_pis=True)
    return parser


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
    except (
        Exception
    ) as exc:  # a parser bug must not take the crawler down: report it as a parse error
        log.exception("unexpected error while parsing %s", url or "<bytes>")
        raise NoArticle(f"could not parse the page ({type(exc).__name__}: {exc})") from exc
    finally:
        _local.metas = None  # do not keep the last page's tree alive


def _tree(text: str) -> etree._Element:
    if (
        text[:64].lstrip().startswith("<?xml")
    ):  # lxml refuses str input with an encoding declaration
        text = _XML_DECL_RE.sub("", text, count=1)
    try:
        doc = etree.fromstring(text, _parser())
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise NotHTML(f"input is not HTML ({exc})") from exc
    if doc is None:
        raise NotHTML("input is not HTML: no document")
    return doc


def _is_truncated(data: bytes, text: str | None) -> bool:
    """True when the page never reaches `</body>` or `</html>`: the HTML stops before its end."""
    if text is not None:  # UTF-16 and other non-ASCII-compatible bytes: look at the decoded text
        return _END_TAG.search(text) is None
    tail = data[-_TAIL_BYTES:]
    if b"</html>" in tail or b"</body>" in tail:  # the usual spelling, found by memmem
        return False
    return _END_TAG_B.search(data, max(0, len(data) - _TAIL_BYTES)) is None and (
        len(data) <= _TAIL_BYTES or _END_TAG_B.search(data) is None
    )


def _fast_utf8(data: bytes, headers: Mapping[str, str] | None) -> etree._Element | None:
    """Tree straight from the bytes when they are UTF-8 (most pages); None to take the decode path.

    libxml2 validates UTF-8 while it parses and logs ERR_INVALID_ENCODING on the first bad byte, so
    a valid page is never decoded twice; anything else (a BOM, a declared GBK, invalid bytes) goes
    through decode.decode, which tries the candidates strictly.
    """
    if precheck(data) is not None:
        return None
    for label in declared_charsets(data, headers):
        codec = normalise_charset(label)
        if codec is not None and codec != "utf-8" and codec not in PERMISSIVE:
            return None
    if not has_markup(data):
        raise NotHTML("input is not HTML: no HTML tags found")
    parser = getattr(_local, "utf8", None)
    if parser is None:
        parser = _local.utf8 = etree.HTMLParser(
            remove_comments=True, remove_pis=True, encoding="utf-8"
        )
    try:
        doc = etree.fromstring(data, parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    if doc is None or parser.error_log.filter_types(_ENCODING_ERRORS):
        return None
    return doc


_ENCODING_ERRORS = [etree.ErrorTypes.ERR_INVALID_ENCODING, etree.ErrorTypes.ERR_INVALID_CHAR]


def _raw_text(el: etree._Element | None, *, tail: bool = False) -> str:
    if el is None:
        return ""
    return etree.tostring(el, method="text", encoding=str, with_tail=tail)


def _text(el: etree._Element | None) -> str:
    return collapse_all(_raw_text(el))


@dataclass(frozen=True)
class _Found:
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


def _parse(data: bytes, url: str | None, headers: Mapping[str, str] | None) -> Article:
    warnings: list[str] = []
    doc = _fast_utf8(data, headers)
    wide = None  # decoded text, when the bytes are not ASCII-compatible (UTF-16)
    if doc is None:
        decoded = decode(data, headers)
        doc = _tree(decoded.text)
        if decoded.lossy:
            warnings.append(f"some bytes could not be decoded as {decoded.encoding}")
        if decoded.encoding.startswith("utf-16"):
            wide = decoded.text
    truncated = _is_truncated(data, wide)

    found = None
    hit = match_profile(doc, None if data.startswith((b"\xff\xfe", b"\xfe\xff")) else data, url)
    if hit is not None:
        profile = hit.profile
        found = _with_profile(doc, profile, hit.body, hit.tags)
        if found is None:
            warnings.append(
                f"profile {profile.name} matched but its body looked wrong: used the generic extractor"
            )
            log.info("profile %s rejected for %s", profile.name, url)
    if found is None:
        found = _with_generic(doc)
    title = found.title
    confidence = found.confidence
    if hit is not None and found.template == "generic":
        confidence -= 0.05  # a known template whose body was not where it should be: be wary

    published, source, author = found.published, found.source, found.author
    if published is None or not (found.byline_seen and source):
        window = _byline_window(doc, found.title_el, title)
        if not (found.byline_seen and source):
            source = source or read_labelled(window, "来源")
            author = author or read_labelled(window, "作者")
        if published is None:
            published = _published_fallback(doc, window, url, lambda: _text_before(found.title_el))
        if published is None and found.cleaned.cited:
            published = parse_stamp(found.cleaned.cited)  # the e-paper citation's issue date
    editor = found.cleaned.editor or _editor_after(found.after)
    if editor is None:
        m = _EDITOR_ANYWHERE_RE.search(_raw_text(doc.find("body")))
        editor = m.group(1) if m else None

    published_precision = published[1] if published else None
    published_at = published[0] if published else None
    info = series_info(title, published_at)
    paragraphs = [b.text for b in found.cleaned.blocks]
    intro, zones = segment(paragraphs, by_zone=info.series is not None)

    if published_at is None:
        warnings.append("no publication time found")
        confidence -= 0.1
    if info.series is not None:
        if info.installment is None:
            warnings.append("series title without an installment number")
            confidence -= 0.1
        stray, unheaded_all = opener_checks(intro, zones)
        if not zones:
            warnings.append("series installment without any zone heading")
            confidence = min(confidence - 0.3, SUSPECT_ZONES_CONFIDENCE)
        elif len(zones) < 2:
            confidence -= 0.1
        unknown = [z.name for z in zones if not z.known]
        if unknown:
            # A heading found by its shape alone: kept as a zone, but an analyst should look.
            warnings.append(f"unknown zone: {'、'.join(unknown)}")
            confidence = min(confidence - UNKNOWN_ZONE_PENALTY, UNKNOWN_ZONE_CONFIDENCE)
        unheaded = [z for z in unheaded_all if z not in stray]
        if unheaded:
            # A paragraph opens on a zone that is nowhere a heading: a heading lost or unread.
            warnings.append(f"zone named but never a heading: {'、'.join(unheaded)}")
            confidence = min(confidence - UNKNOWN_ZONE_PENALTY, UNKNOWN_ZONE_CONFIDENCE)
        if stray:
            # Each zone's section opens with a dated sentence about it; one about another zone
            # inside a section (or the intro) means its heading was not there: zones were merged.
            names = "、".join(dict.fromkeys(stray))
            warnings.append(
                f"zone headings missing? {len(stray)} paragraph(s) open on another zone without a heading ({names})"
            )
            confidence = min(confidence, SUSPECT_ZONES_CONFIDENCE)
    if truncated:
        # Whatever was parsed is a prefix of the page: recording it would delete the missing tail.
        warnings.append("page truncated: the HTML ends before </body></html>, the body may be cut")
        confidence = min(confidence, TRUNCATED_CONFIDENCE)

    return Article(
        url=url,
        title=title,
        published=published_at,
        source=source,
        author=author,
        editor=editor,
        series=info.series,
        year=info.year,
        installment=info.installment,
        intro=intro,
        zones=zones,
        template=found.template,
        confidence=max(0.0, min(1.0, confidence)),
        warnings=tuple(warnings),
        published_precision=published_precision,
    )


def _with_profile(
    doc: etree._Element, profile: Profile, body: etree._Element, index: TagIndex
) -> _Found | None:
    """The fast path: a known template's selectors; None when its result looks wrong."""
    title_el = profile.first(doc, "title", index)
    title = clean_title(_raw_text(title_el))
    cleaned = clean_blocks(walk(body), title)
    chars = sum(len(b.text) for b in cleaned.blocks)
    if not title or chars < profile.min_body_chars:
        return None
    if not any(block_score(b) > 0 for b in cleaned.blocks):
        return None
    published = parse_stamp(_text(profile.first(doc, "published", index)))
    byline = _text(profile.first(doc, "source", index))
    source = read_labelled(byline, "来源") or cleaned.source or profile.source_name
    confidence = 0.97 if source else 0.92
    return _Found(
        profile.name,
        title,
        title_el,
        cleaned,
        published,
        source,
        read_labelled(byline, "作者") or cleaned.author,
        confidence,
        byline_seen=bool(byline) or profile.source_name is not None,
    )


def _with_generic(doc: etree._Element) -> _Found:
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
    title, title_el = _find_title(doc, root, blocks)
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
        confidence -= 0.1
    if ext.link_density > 0.2:
        confidence -= 0.1
    published = find_stamp([byline]) if byline else None
    if published is not None and published[1] == "day":
        published = None  # a bare date may be a sidebar's; let the fallbacks (meta, URL) decide
    return _Found(
        "generic",
        title,
        title_el,
        cleaned,
        published,
        (read_labelled(byline, "来源") if byline else None) or cleaned.source,
        (read_labelled(byline, "作者") if byline else None) or cleaned.author,
        min(confidence, 0.92),
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


def _editor_after(blocks: tuple[Block, ...]) -> str | None:
    for block in blocks:
        m = EDITOR_RE.match(block.text)
        if m:
            return collapse_all(m.group(1))
    return None


def _find_title(
    doc: etree._Element, body: etree._Element, blocks: list[Block] | None = None
) -> tuple[str, etree._Element | None]:
    """Title as shown on the page: the heading the <title> (else og:title) starts with, else those.

    Candidates are the walked <h1>/<h2> blocks when there are any (no second pass over the tree),
    else every <h1>/<h2> of the body; elements with a `title` class are the last resort.
    """
    head_title = doc.find("head/title")
    if head_title is None:
        head_title = doc.find(".//title")
    page_title = clean_title(_raw_text(head_title))
    if page_title in SITE_NAMES:
        page_title = ""  # the e-paper's <title> is the paper's name: the <h1> is the title
    if blocks:
        candidates = [(collapse_all(b.text), b.element) for b in blocks if b.tag in ("h1", "h2")]
    else:
        candidates = []
    if not candidates:
        candidates = [(_text(el), el) for el in body.iter("h1", "h2")]
    hit = _title_match(candidates, page_title)
    if hit is not None:
        return hit
    og_title = clean_title(_metas(doc).get("og:title"))
    hit = _title_match(candidates, og_title)
    if hit is None:
        classed = [(_text(el), el) for el in _CLASS_TITLE(body)]
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
    for text, el in candidates:
        ckey = text.replace(" ", "")
        if 4 <= len(ckey) <= 200 and (key == ckey or key.startswith(ckey)):
            return text, el
    return None


def _byline_window(doc: etree._Element, title_el: etree._Element | None, title: str) -> str:
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
    text = collapse_all(_raw_text(doc.find("body")))
    pos = text.find(title) if title else -1
    start = pos + len(title) if pos >= 0 else 0
    return text[start : start + BYLINE_WINDOW]


def _text_before(title_el: etree._Element | None, limit: int = 200) -> str:
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
            t = _raw_text(sib, tail=True)[-limit:]
            parts.append(t)
            n += len(t)
            if n >= limit:
                break
        node = node.getparent()
    return collapse_all(" ".join(reversed(parts)))[-limit:]


def _metas(doc: etree._Element) -> dict[str, str]:
    """<meta> name/property/itemprop (lower-cased) -> content, first occurrence wins."""
    cached = _local.__dict__.get("metas")
    if cached is not None and cached[0] is doc:
        return cached[1]
    head = doc.find("head")
    out: dict[str, str] = {}
    for el in (head if head is not None else doc).iter("meta"):
        content = el.get("content")
        if content is None:
            continue
        for attr in ("property", "name", "itemprop"):
            key = el.get(attr)
            if key:
                out.setdefault(key.strip().lower(), content)
    _local.metas = (doc, out)  # title and time both ask; one parse at a time per thread
    return out


def _published_fallback(
    doc: etree._Element, window: str, url: str | None, before: Callable[[], str] | None = None
) -> tuple[str, str] | None:
    """Publication time from <meta>/<time>, the text after (else before) the title, the URL's date."""
    metas = _metas(doc)
    times = [metas[k] for k in _META_TIME_KEYS if k in metas]
    for value in times:
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
    times = [str(v) for v in (el.get("datetime") for el in doc.iter("time")) if v]
    for value in times:
        got = parse_stamp(value)
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
