"""The parse, step by step: bytes -> tree -> body (profile or generic) -> metadata -> zones ->
Article with `template`, `confidence`, `warnings` and `truncated`."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from lxml import etree

from chihwatch.errors import NoArticle, NotHTML, ParseError
from parsers.body import Found, with_generic, with_profile
from parsers.confidence import (
    NO_ZONES_PENALTY,
    PENALTY,
    PROFILE_REJECTED_PENALTY,
    SUSPECT_ZONES_CONFIDENCE,
    TRUNCATED_CONFIDENCE,
    UNKNOWN_ZONE_CONFIDENCE,
    UNKNOWN_ZONE_PENALTY,
)
from parsers.decode import decode
from parsers.fallbacks import (
    byline_window,
    editor_after,
    editor_anywhere,
    published_fallback,
    text_before,
)
from parsers.html import fast_utf8, is_truncated, release, tree
from parsers.meta import SeriesInfo, parse_stamp, read_labelled, series_info
from parsers.model import Article, Zone
from parsers.profiles import Match, match_profile
from parsers.zones import opener_checks, segment

__all__ = ["parse", "PARSER_VERSION"]

PARSER_VERSION = "1.1.0"

log = logging.getLogger("parsers")
log.addHandler(logging.NullHandler())

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


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
        release()  # do not keep the last page's tree alive


def _parse(data: bytes, url: str | None, headers: Mapping[str, str] | None) -> Article:
    warnings: list[str] = []
    doc, truncated = _document(data, headers, warnings)
    hit = match_profile(doc, None if data.startswith(_UTF16_BOMS) else data, url)
    found = _body(doc, hit, url, warnings)
    confidence = found.confidence
    if hit is not None and found.template == "generic":
        confidence -= PROFILE_REJECTED_PENALTY  # a known template whose body was elsewhere
    published, source, author = _byline(doc, found, url)
    editor = found.cleaned.editor or editor_after(found.after)
    if editor is None:
        editor = editor_anywhere(doc)
    published_at, precision = published if published else (None, None)
    info = series_info(found.title, published_at)
    intro, zones = segment([b.text for b in found.cleaned.blocks], by_zone=info.series is not None)

    if published_at is None:
        warnings.append("no publication time found")
        confidence -= PENALTY
    if info.series is not None:
        confidence = _series_doubts(info, intro, zones, confidence, warnings)
    if truncated:
        # Whatever was parsed is a prefix of the page: recording it would delete the missing tail.
        warnings.append("page truncated: the HTML ends before </body></html>, the body may be cut")
        confidence = min(confidence, TRUNCATED_CONFIDENCE)
    return Article(
        url=url,
        title=found.title,
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
        published_precision=precision,
        truncated=truncated,
    )


def _document(
    data: bytes, headers: Mapping[str, str] | None, warnings: list[str]
) -> tuple[etree._Element, bool]:
    """The page's tree (UTF-8 straight from the bytes, else decoded) and whether it is truncated."""
    doc = fast_utf8(data, headers)
    wide = None  # decoded text, when the bytes are not ASCII-compatible (UTF-16)
    if doc is None:
        decoded = decode(data, headers)
        doc = tree(decoded.text)
        if decoded.lossy:
            warnings.append(f"some bytes could not be decoded as {decoded.encoding}")
        if decoded.encoding.startswith("utf-16"):
            wide = decoded.text
    return doc, is_truncated(data, wide)


def _body(doc: etree._Element, hit: Match | None, url: str | None, warnings: list[str]) -> Found:
    """The matched profile's result when it looks right, else the generic extractor's."""
    if hit is not None:
        found = with_profile(doc, hit.profile, hit.body, hit.tags)
        if found is not None:
            return found
        name = hit.profile.name
        warnings.append(
            f"profile {name} matched but its body looked wrong: used the generic extractor"
        )
        log.info("profile %s rejected for %s", name, url)
    return with_generic(doc)


def _byline(
    doc: etree._Element, found: Found, url: str | None
) -> tuple[tuple[str, str] | None, str | None, str | None]:
    """(published, source, author): the path's, completed from the page around the title."""
    published, source, author = found.published, found.source, found.author
    if published is not None and found.byline_seen and source:
        return published, source, author
    window = byline_window(doc, found.title_el, found.title)
    if not (found.byline_seen and source):
        source = source or read_labelled(window, "来源")
        author = author or read_labelled(window, "作者")
    if published is None:
        published = published_fallback(doc, window, url, lambda: text_before(found.title_el))
    if published is None and found.cleaned.cited:
        published = parse_stamp(found.cleaned.cited)  # the e-paper citation's issue date
    return published, source, author


def _series_doubts(
    info: SeriesInfo,
    intro: tuple[str, ...],
    zones: tuple[Zone, ...],
    confidence: float,
    warnings: list[str],
) -> float:
    """An installment's confidence after the checks of its number and segmentation (warnings say why)."""
    if info.installment is None:
        warnings.append("series title without an installment number")
        confidence -= PENALTY
    stray, unheaded_all = opener_checks(intro, zones)
    if not zones:
        warnings.append("series installment without any zone heading")
        confidence = min(confidence - NO_ZONES_PENALTY, SUSPECT_ZONES_CONFIDENCE)
    elif len(zones) < 2:
        confidence -= PENALTY
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
    return confidence
