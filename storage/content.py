"""A parse as a revision stores it: normalised intro and zones, the hash that says "same text".

The derived side of the store (raw snapshots are blobs and fetches): what `storage/ingest.py`
compares and writes, and what `reparse` compares against.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from parsers.model import Article
from parsers.normalize import norm_text
from storage.common import canonical_zone, split
from storage.models import Revision, Section

__all__ = ["Zones", "Content", "content_of", "content_hash", "flat", "flat_of"]

Zones = list[tuple[str, str, list[str]]]  # (canonical zone, heading as published, paragraphs)


@dataclass(frozen=True)
class Content:
    """A parse reduced to what a revision stores: normalised intro and zones, their hash/size."""

    article: Article
    intro: list[str]
    zones: Zones
    body_hash: str
    body_chars: int

    @property
    def flat(self) -> list[str]:
        """The words of the page in order, whatever zones they were cut into."""
        return flat(self.intro, self.zones)


def content_of(article: Article) -> Content:
    """The article's normalised intro and zones, paragraphs through `norm_text`."""
    intro = [p for p in (norm_text(x) for x in article.intro) if p]
    zones = [
        (
            canonical_zone(z.name),
            z.heading or ("" if canonical_zone(z.name) == z.name else z.name),
            [p for p in (norm_text(x) for x in z.paragraphs) if p],
        )
        for z in article.zones
    ]
    body_hash, body_chars = content_hash(intro, zones)
    return Content(article, intro, zones, body_hash, body_chars)


def content_hash(intro: list[str], zones: Zones) -> tuple[str, int]:
    """(SHA-256 of the normalised text, its length in characters)."""
    # Headings are left out: 天津滨海高新区 -> 天津高新区 in a heading is the same zone.
    canon = json.dumps(
        {"intro": intro, "zones": [[n, ps] for n, _h, ps in zones]},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    chars = sum(len(p) for p in intro) + sum(len(p) for _n, _h, ps in zones for p in ps)
    return hashlib.sha256(canon.encode("utf-8")).hexdigest(), chars


def flat(intro: Sequence[str], zones: Sequence[tuple[str, str, list[str]]]) -> list[str]:
    """The words of a page in order, whatever zones they were cut into."""
    return [*intro, *(p for _n, _h, ps in zones for p in ps)]


def flat_of(s: Session, rev: Revision) -> list[str]:
    """A stored revision's words in order (intro, then its sections by position)."""
    out = split(rev.intro)
    for text_ in s.scalars(
        select(Section.text).where(Section.revision_id == rev.id).order_by(Section.position)
    ):
        out += split(text_)
    return out
