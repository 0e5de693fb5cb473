"""Segmentation of a series installment's body into intro + one section per zone."""

from __future__ import annotations

import re
from collections.abc import Sequence

from parsers.gazetteer import canonical_zone, zones_named
from parsers.model import Zone

__all__ = ["segment", "heading_zone", "stray_openers"]

# A heading is a short paragraph; a sentence that merely names a zone is longer than any alias.
MAX_HEADING_CHARS = 40


def heading_zone(text: str) -> str | None:
    """Canonical zone if the paragraph holds only a zone name (any markup, padding, 【】), else None."""
    if len(text) > MAX_HEADING_CHARS:
        return None
    return canonical_zone(text)


def segment(
    paragraphs: Sequence[str], *, by_zone: bool
) -> tuple[tuple[str, ...], tuple[Zone, ...]]:
    """Split paragraphs into (intro, zones); with by_zone False everything is intro."""
    if not by_zone:
        return tuple(paragraphs), ()
    intro: list[str] = []
    zones: list[tuple[str, str, list[str]]] = []
    for text in paragraphs:
        zone = heading_zone(text)
        if zone is not None:
            zones.append((zone, text, []))
        elif zones:
            zones[-1][2].append(text)
        else:
            intro.append(text)
    return tuple(intro), tuple(
        Zone(name=name, paragraphs=tuple(paras), heading="" if heading == name else heading)
        for name, heading, paras in zones
    )


# A zone's section opens with a dated sentence about that zone: "2月4日，威海高新区召开…",
# "近日，2023年度威海高新区总结表彰大会召开…". Such a sentence about *another* zone inside a section
# (or any zone inside the intro, which speaks of zones in general) means a heading was not seen.
_OPENER_RE = re.compile(
    r"^(?:(?:\d{1,2}|[一二三四五六七八九十]{1,3})月(?:\d{1,2}|[一二三四五六七八九十]{1,3})日"
    r"|近日|日前|近期|连日来)"
)
# How much of the opening sentence may name the zone (the subject comes first).
OPENER_CHARS = 60


# First characters an opener can have (a cheap gate before the regex: most paragraphs fail it).
_OPENER_FIRST = frozenset("0123456789０１２３４５６７８９一二三四五六七八九十近日连")


def _opened_zones(text: str, own: str | None = None) -> list[str]:
    """Zones named in the paragraph's opening sentence if it opens like a zone's section, else [].

    When the sentence spells `own` (the section's zone) as is, that is the answer: [own].
    """
    if text[:1] not in _OPENER_FIRST or not _OPENER_RE.match(text):
        return []
    head = text[:OPENER_CHARS].split("。", 1)[0]
    if own is not None and own in head:  # the usual case, without the gazetteer scan
        return [own]
    return zones_named(head)


def stray_openers(intro: Sequence[str], zones: Sequence[Zone]) -> list[str]:
    """Zones whose section seems to open, without a heading, inside another section or the intro.

    One entry per such paragraph: the zone its opening sentence is about. A paragraph that also
    names its own section's zone (a joint meeting, a comparison) is not counted.
    """
    stray: list[str] = []
    sections: list[tuple[str | None, Sequence[str]]] = [(None, intro)]
    sections += [(z.name, z.paragraphs) for z in zones]
    for own, paragraphs in sections:
        for text in paragraphs:
            if text[:1] not in _OPENER_FIRST:  # most paragraphs: checked without a call
                continue
            named = _opened_zones(text, own)
            if named and own not in named:
                stray.append(named[0])
    return stray
