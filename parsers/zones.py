"""Segmentation of a series installment's body into intro + one section per zone."""

from __future__ import annotations

from collections.abc import Sequence

from parsers.gazetteer import canonical_zone
from parsers.model import Zone

__all__ = ["segment", "heading_zone"]

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
