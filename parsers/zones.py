"""Segmentation of a series installment's body into intro + one section per zone."""

from __future__ import annotations

import re
from collections.abc import Sequence

from parsers.gazetteer import FIRST_CHARS as _ZONE_FIRST
from parsers.gazetteer import canonical_zone, printed_heading, zone_at_start, zones_named
from parsers.model import Zone

__all__ = [
    "segment",
    "heading_zone",
    "unknown_heading",
    "stray_openers",
    "unheaded_subjects",
    "opening_sentence",
    "opener_checks",
]

# A heading is a short paragraph; a sentence that merely names a zone is longer than any alias.
MAX_HEADING_CHARS = 40


def heading_zone(text: str) -> str | None:
    """Canonical zone if the paragraph holds only a zone name (any markup, padding, 【】), else None."""
    if len(text) > MAX_HEADING_CHARS:
        return None
    return canonical_zone(text)


# -- headings the gazetteer does not know ----------------------------------------------------------

# A zone heading not in the gazetteer is recognised by its shape: a short standalone paragraph that
# ends like the name of a zone, then a paragraph whose opening sentence names that body (its stem)
# and reports its meeting or its plans. A slogan sub-heading (`打造世界一流高科技园区`) ends the same
# way but is not restated by the next paragraph, and a sentence has punctuation.
UNKNOWN_MIN_CHARS, UNKNOWN_MAX_CHARS = 4, 24
_UNKNOWN_END_RE = re.compile(
    r"(?:高新技术产业开发区|新技术产业开发区|高新技术开发区|经济技术开发区|国家高新区|高新区|开发区"
    r"|科技园区|工业园区|园区|国家自主创新示范区|示范区|试验区|科技城|科学城)$"
)
# The last characters those endings have (a cheap gate: most short paragraphs end otherwise).
_UNKNOWN_LAST_RE = re.compile("[区城][\\s\u00a0\u3000】\\]：:■]*$")
_UNKNOWN_LAST_CHARS = frozenset("区城】]：:■ \u00a0\u3000")
_NOT_A_NAME = frozenset('，。；！？、：:“”"（）()《》0123456789０１２３４５６７８９')
_MEETING_RE = re.compile(r"召开|会议|大会|部署|提出|印发|发布|明确|计划|力争|目标|将")
# A province or city prefix the next paragraph may leave out (新疆克拉玛依高新区 -> 克拉玛依高新区).
_PREFIX_RE = re.compile(r"^(?:[\u4e00-\u9fff]{2,3}(?:省|市|自治区))")


def unknown_heading(text: str, following: str | None) -> str | None:
    """The heading as printed if `text` has the shape of a zone heading the gazetteer lacks."""
    name = printed_heading(text)
    if not UNKNOWN_MIN_CHARS <= len(name) <= UNKNOWN_MAX_CHARS or not following:
        return None
    if any(ch in _NOT_A_NAME for ch in name):
        return None
    end = _UNKNOWN_END_RE.search(name)
    if end is None:
        return None
    stem = _PREFIX_RE.sub("", name[: end.start()])
    if len(stem) < 2:
        return None
    first = opening_sentence(following)
    if stem not in first or _MEETING_RE.search(following[:200]) is None:
        return None
    return name


# A slogan sub-heading between a heading and its first report is at most this long.
SLOGAN_MAX_CHARS = 30


def _report_after(paragraphs: Sequence[str], i: int) -> str | None:
    """The paragraph after paragraphs[i] that reports, skipping one slogan sub-heading."""
    for j in (i + 1, i + 2):
        if j >= len(paragraphs):
            return None
        text = paragraphs[j]
        if len(text) > SLOGAN_MAX_CHARS or "。" in text:
            return text
    return None


def segment(
    paragraphs: Sequence[str], *, by_zone: bool
) -> tuple[tuple[str, ...], tuple[Zone, ...]]:
    """Split paragraphs into (intro, zones); with by_zone False everything is intro.

    Every zone keeps its heading as printed (padding and decorations such as 【】 removed); a
    heading recognised only by its shape gives a zone with `known` False and name = heading.
    """
    if not by_zone:
        return tuple(paragraphs), ()
    intro: list[str] = []
    zones: list[tuple[str, str, bool, list[str]]] = []
    for i, text in enumerate(paragraphs):
        zone = heading_zone(text)
        known = True
        if (
            zone is None
            and len(text) <= MAX_HEADING_CHARS
            and text[-1] in _UNKNOWN_LAST_CHARS
            and _UNKNOWN_LAST_RE.search(text)
        ):
            zone = unknown_heading(text, _report_after(paragraphs, i))
            known = False
        if zone is not None:
            zones.append((zone, printed_heading(text), known, []))
        elif zones:
            zones[-1][3].append(text)
        else:
            intro.append(text)
    return tuple(intro), tuple(
        Zone(name=name, paragraphs=tuple(paras), heading=heading, known=known)
        for name, heading, known, paras in zones
    )


# -- openers: how a zone's section begins ----------------------------------------------------------

# A zone's section opens with a dated sentence about that zone: "2月4日，威海高新区召开…",
# "近日，2023年度威海高新区总结表彰大会召开…", or with a wire dateline: "中新网武汉2月8日电 （记者 …）",
# "本报讯（记者 … 通讯员 …）", "本报记者 … 报道". Such a sentence about *another* zone inside a section
# (or any zone inside the intro, which speaks of zones in general) means a heading was not seen.
_OPENER_RE = re.compile(
    r"^(?:(?:\d{1,2}|[一二三四五六七八九十]{1,3})月(?:\d{1,2}|[一二三四五六七八九十]{1,3})日"
    r"|近日|日前|近期|连日来)"
)
_DATELINE_RE = re.compile(
    r"^[■●◆□\s]*(?:"
    r"本报讯|本刊讯"
    r"|[\u4e00-\u9fff]{1,6}(?:网|社|报|台|客户端|日报|晚报)[\u4e00-\u9fff]{0,8}"
    r"\d{1,2}月\d{1,2}日(?:电|讯|消息)"
    r"|(?:本报|本网)?记者[\u4e00-\u9fff\s·]{2,30}?报道"
    r")\s*(?:[（(][^）)]{0,40}[）)])?[\s：:，,]*"
)
# How much of the opening sentence may name the zone (the subject comes first).
OPENER_CHARS = 60
# How much of a paragraph's start may hold its subject (for zones named but never a heading).
SUBJECT_CHARS = 28

# First characters an opener can have (a cheap gate before the regexes: most paragraphs fail it).
_OPENER_FIRST = frozenset("0123456789０１２３４５６７８９一二三四五六七八九十近日连")


def _dateline_end(text: str) -> int:
    """Length of a wire dateline at the paragraph's start (0 without one)."""
    head = text[:60]
    if "电" not in head and "讯" not in head and "报道" not in head and "消息" not in head:
        return 0  # most paragraphs: four scans in C, no regex
    m = _DATELINE_RE.match(text)
    return m.end() if m else 0


def opening_sentence(text: str) -> str:
    """The paragraph's first sentence (first OPENER_CHARS characters), after a wire dateline."""
    start = _dateline_end(text)
    return text[start : start + OPENER_CHARS].split("。", 1)[0]


def stray_openers(intro: Sequence[str], zones: Sequence[Zone]) -> list[str]:
    """Zones whose section seems to open, without a heading, inside another section or the intro.

    One entry per such paragraph: the zone its opening sentence is about. A paragraph that also
    names its own section's zone (a joint meeting, a comparison) is not counted.
    """
    return opener_checks(intro, zones)[0]


def unheaded_subjects(intro: Sequence[str], zones: Sequence[Zone]) -> list[str]:
    """Gazetteer zones that a paragraph opens on (its subject) but that are nowhere a heading.

    `威海高新区将…` opening a paragraph of another section, with no 威海高新区 heading on the page,
    is a zone whose heading was lost or not recognised, even when no date starts the paragraph.
    """
    return opener_checks(intro, zones)[1]


_LEAD_RE = re.compile(
    r"^(?:(?:\d{1,2}|[一二三四五六七八九十]{1,3})月(?:\d{1,2}|[一二三四五六七八九十]{1,3})日[，,、\s]*"
    r"|(?:近日|日前|近期|连日来|今年|\d{4}年)[，,、\s]*)"
)
_LEAD_FIRST = _OPENER_FIRST | frozenset("今")


def opener_checks(intro: Sequence[str], zones: Sequence[Zone]) -> tuple[list[str], list[str]]:
    """(stray_openers, unheaded_subjects) in one pass over the paragraphs (a dateline read once)."""
    stray: list[str] = []
    unheaded: list[str] = []
    headed = {z.name for z in zones}
    sections: list[tuple[str | None, Sequence[str]]] = [(None, intro)]
    sections += [(z.name, z.paragraphs) for z in zones]
    for own, paragraphs in sections:
        for text in paragraphs:
            h60 = text[:60]  # the dateline gate of _dateline_end, inlined: calls are dear here
            if "电" in h60 or "讯" in h60 or "报道" in h60 or "消息" in h60:
                start = _dateline_end(text)
            else:
                start = 0
            if start:
                head = text[start : start + OPENER_CHARS].split("。", 1)[0]
            elif text[:1] in _OPENER_FIRST and _OPENER_RE.match(text):
                head = text[:OPENER_CHARS].split("。", 1)[0]
            else:
                head = None
            if head is not None:
                named = [own] if own is not None and own in head else zones_named(head)
                if named and own not in named:
                    stray.append(named[0])
            subject = text[start : start + SUBJECT_CHARS]
            first = subject[:1]
            if first in _LEAD_FIRST:
                m = _LEAD_RE.match(subject)
                if m:
                    subject = subject[m.end() :]
                    first = subject[:1]
            if first not in _ZONE_FIRST:
                continue  # no zone spelling starts so (most paragraphs: 会议…, 全年…)
            zone = zone_at_start(subject)
            if zone is not None and zone not in headed and zone not in unheaded:
                unheaded.append(zone)
    return stray, unheaded
