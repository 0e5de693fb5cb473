"""Main-text extractor for templates we have no profile for: text and punctuation density over blocks.

Like GNE and CEPF (text density + symbol density for Chinese news), but scored per paragraph block
and summed over subtrees: a body paragraph (enough text, Chinese punctuation, few links) adds its
length to every ancestor, link lists and unpunctuated chrome subtract theirs. The content node is
the element with the highest subtree score — the maximum-sum subtree, so it grows to take in every
paragraph of the body and stops before sidebars and footers that would cost more than they add.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from lxml import etree

from parsers.blocks import Block, Span
from parsers.clean import _COPYRIGHT_RE, EDITOR_RE
from parsers.gazetteer import canonical_zone

__all__ = ["Extraction", "extract", "block_score"]

log = logging.getLogger(__name__)

# A body paragraph of chih.cn has one punctuation mark per 10-20 characters; link lists and
# navigation have none. 1/40 separates them with room to spare on the saved pages.
MIN_PUNCT_DENSITY = 1 / 40
MIN_GOOD_CHARS = 10
# Unpunctuated short text (zone headings, dates, bylines) costs a little, so headings inside the
# body never split it, while a footer of such lines is not worth annexing.
SHORT_TEXT_WEIGHT = 0.3
# How many blocks after the content node are searched for the editor line.
AFTER_BLOCKS = 8


@dataclass(frozen=True)
class Extraction:
    """The chosen content node, its blocks in page order, and how clear-cut the choice was."""

    node: etree._Element
    blocks: tuple[Block, ...]
    score: float  # subtree score of the node
    positive: float  # sum of all positive block scores on the page
    link_density: float  # link characters / all characters inside the node
    good: int  # blocks inside the node that score as article text
    after: tuple[Block, ...] = ()  # the blocks right after the node (where an editor line may sit)
    start: int = 0  # index of the node's first block in the walk


_SENTENCE_PUNCT_RE = re.compile("[，。；、！？,;!?“”]")
# First characters of the editor line and the copyright block (a cheap gate before their regexes).
_CHROME_FIRST = frozenset("（([【责版免")


def block_score(block: Block) -> float:
    """Signed worth of one block as article text."""
    text = block.text
    n = len(text)
    if block.link_chars * 2 > n:
        return -float(n)
    if text[0] in _CHROME_FIRST and (EDITOR_RE.match(text) or _COPYRIGHT_RE.match(text)):
        return -float(n)
    if block.heading or n < MIN_GOOD_CHARS:
        return -SHORT_TEXT_WEIGHT * n  # a title is not evidence of body text, whatever its "！"
    need = n * MIN_PUNCT_DENSITY
    # Sentence punctuation only: bylines are full of colons, dashes and slashes, prose of commas.
    # Commas and full stops settle most paragraphs with two C-level scans; the regex is the fallback.
    if text.count("，") + text.count("。") >= need or len(_SENTENCE_PUNCT_RE.findall(text)) >= need:
        return float(n - block.link_chars)
    return -SHORT_TEXT_WEIGHT * n


# A teaser item: a short link title, then at most this many short blocks (summary, date).
TEASER_MAX_BLOCKS = 4
TEASER_MIN_REPEATS = 3


def _div_teasers(blocks: list[Block], spans: list[Span]) -> set[int]:
    """Indices of blocks in repeated teaser items built from divs (title link + summary + date).

    Three or more sibling containers that each open with a short link-only block and hold only a
    few short blocks are a list of article teasers, not the article: the repetition is the tell.
    A zone heading in a keyword link (【<a>X高新区</a>】) never opens a teaser.
    """
    by_parent: dict[etree._Element, list[Span]] = {}
    for sp in spans:
        n = sp.end - sp.start
        if not 2 <= n <= TEASER_MAX_BLOCKS:
            continue
        first = blocks[sp.start]
        if (
            first.link_chars * 2 <= len(first.text)
            or len(first.text) > 60
            or canonical_zone(first.text)
        ):
            continue
        if any(len(b.text) > 200 for b in blocks[sp.start + 1 : sp.end]):
            continue
        parent = sp.element.getparent()
        if parent is not None:
            by_parent.setdefault(parent, []).append(sp)
    out: set[int] = set()
    for items in by_parent.values():
        if len(items) >= TEASER_MIN_REPEATS:
            for sp in items:
                out.update(range(sp.start, sp.end))
    return out


def extract(blocks: list[Block], spans: list[Span]) -> Extraction | None:
    """Pick the content node among the block elements of the walk; None if nothing scores."""
    if not blocks:
        return None
    # Teaser lists (sidebars, "related" boxes, list pages): a list item holding a link title makes
    # every block of that item chrome, however well punctuated its summary is.
    teasers = {b.item for b in blocks if b.item is not None and b.link_chars * 2 > len(b.text)}
    teaser_idx = _div_teasers(blocks, spans)
    prefix = [0.0]
    good_prefix = [0]
    positive = 0.0
    acc = 0.0
    good = 0
    for i, block in enumerate(blocks):
        if (block.item is not None and block.item in teasers) or i in teaser_idx:
            s = -float(len(block.text))
        else:
            s = block_score(block)
        if s > 0:
            positive += s
            good += 1
        acc += s
        prefix.append(acc)
        good_prefix.append(good)
    if positive <= 0:
        return None
    # Highest subtree score; on a tie the deeper element (fewer chrome blocks around the body).
    best = None
    best_score = 0.0
    for sp in spans:
        score = prefix[sp.end] - prefix[sp.start]
        if score > best_score + 1e-6 or (
            best is not None and abs(score - best_score) <= 1e-6 and sp.depth > best.depth
        ):
            best, best_score = sp, score
    if best is None:
        return None
    inside = tuple(blocks[best.start : best.end])
    chars = sum(len(b.text) for b in inside) or 1
    links = sum(b.link_chars for b in inside)
    node = best.element
    log.debug(
        "generic: <%s class=%r> score %.0f of %.0f",
        node.tag,
        node.get("class"),
        best_score,
        positive,
    )
    return Extraction(
        node,
        inside,
        best_score,
        positive,
        links / chars,
        good_prefix[best.end] - good_prefix[best.start],
        tuple(blocks[best.end : best.end + AFTER_BLOCKS]),
        best.start,
    )
