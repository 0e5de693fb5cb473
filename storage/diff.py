"""The diff engine: paragraphs aligned per zone, changed paragraphs with character-level ops."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from os.path import commonprefix
from typing import Any

from storage.align import pair, similarity

__all__ = ["Change", "inline_ops", "align_paragraphs", "diff_zones", "similarity", "FIGURE"]

# Two paragraphs of ONE installment this similar (storage.align.similarity: 2·LCS / total length)
# are one paragraph edited by the site, not a swap; calibrated on the fixtures: a paragraph with
# one target figure changed scores > 0.9, two unrelated zone paragraphs of the same installment
# mostly 0.1-0.3 (short meeting notices of two zones up to 0.87, but those sit in different zones
# and zones are diffed apart).
PAIR_THRESHOLD = 0.45
# The character diff of one pair costs about sum over characters of count_a * count_b
# (difflib's matching); above this budget the pair is shown replaced whole. Two ordinary
# 1,000-character paragraphs cost ~10,000-40,000; a hostile run of one repeated character of
# 2,000 costs 4,000,000.
INLINE_COST_MAX = 400_000
# And all the character diffs of one revision diff (or one section comparison) together: about
# 5-20 s of difflib at worst (0.2-1 µs per unit), while a real edit costs next to nothing (the
# 6,000 one-figure edits of bench/store.py: 0, their trimmed middles share no character; the
# fixtures' cross-year pairs: a few thousand each). Past it, the remaining pairs are still paired,
# shown replaced whole: a report's cost is bounded by its number of sections and revisions,
# whatever the pages hold.
INLINE_BUDGET = 20_000_000


class Budget:
    """What is left of INLINE_BUDGET for one diff (shared by its zones)."""

    def __init__(self, total: int = INLINE_BUDGET) -> None:
        self.left = total

    def take(self, cost: int) -> bool:
        if cost > self.left:
            return False
        self.left -= cost
        return True


# A paragraph repeated so often on both sides (count_a * count_b) is no anchor.
ANCHOR_REPEAT_MAX = 4096
# Equal runs this short between two edits are folded into the edit: "增长5%" -> "增长8%" reads as
# one replaced figure, not a confetti of single characters.
MERGE_EQUAL_MAX = 2


@dataclass(frozen=True)
class Change:
    """One paragraph-level change within a zone (None zone = intro)."""

    zone: str | None
    kind: str  # "added" | "removed" | "changed"
    before: str | None
    after: str | None
    inline: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "zone": self.zone,
            "kind": self.kind,
            "before": self.before,
            "after": self.after,
            "inline": [list(op) for op in self.inline],
        }


def _inline_cost(before: str, after: str) -> int:
    ca, cb = Counter(before), Counter(after)
    if len(ca) > len(cb):
        ca, cb = cb, ca
    return sum(n * cb[ch] for ch, n in ca.items() if ch in cb)


def inline_ops(
    before: str, after: str, budget: Budget | None = None
) -> tuple[tuple[str, str], ...]:
    """Character-level ops [("=", t), ("-", t), ("+", t)] turning `before` into `after`.

    Edits touching a figure grow to the whole figure (FIGURE). Between their common head and
    tail, a pair too costly to diff (INLINE_COST_MAX, or more than is left of `budget`) is one
    deletion and one insertion.
    """
    if before == after:
        return (("=", before),) if before else ()
    # The common head and tail are equal runs; difflib only sees the middle (an edit of a figure
    # in a long paragraph costs the figure, not the paragraph).
    head = len(commonprefix([before, after]))
    limit = min(len(before), len(after)) - head
    tail = 0
    while tail < limit and before[-1 - tail] == after[-1 - tail]:
        tail += 1
    mid_a, mid_b = before[head : len(before) - tail], after[head : len(after) - tail]
    raw: list[tuple[str, str, str]] = []  # (tag, a_text, b_text)
    if head:
        raw.append(("=", before[:head], before[:head]))
    cost = _inline_cost(mid_a, mid_b)
    if cost > INLINE_COST_MAX or (budget is not None and not budget.take(cost)):
        # Too costly: the middle replaced whole.
        raw.append(("~", mid_a, mid_b))
    else:
        sm = SequenceMatcher(None, mid_a, mid_b, autojunk=False)
        for op, i1, i2, j1, j2 in sm.get_opcodes():
            raw.append(("=" if op == "equal" else "~", mid_a[i1:i2], mid_b[j1:j2]))
    if tail:
        raw.append(("=", before[len(before) - tail :], before[len(before) - tail :]))
    # Fold short equal runs that sit between two edits into the edit around them.
    folded: list[tuple[str, str, str]] = []
    for idx, (tag, a, b) in enumerate(raw):
        inner = 0 < idx < len(raw) - 1
        if tag == "=" and inner and len(a) <= MERGE_EQUAL_MAX:
            tag = "~"
        if folded and tag == "~" and folded[-1][0] == "~":
            _, pa, pb = folded[-1]
            folded[-1] = ("~", pa + a, pb + b)
        else:
            folded.append((tag, a, b))
    folded = _snap_figures(folded)
    ops: list[tuple[str, str]] = []
    for tag, a, b in folded:
        if tag == "=":
            ops.append(("=", a))
            continue
        if a:
            ops.append(("-", a))
        if b:
            ops.append(("+", b))
    return tuple(ops)


# A figure as a reader sees it: an optional relation, a number or range, its unit, a qualifier.
# An edit touching any part of one grows to the whole figure, so `增长6%` -> `增长7%` is shown
# as one replaced figure and never as a struck digit beside a new one ("增长~~6~~7%" = "67%").
_RELATION = "不少于|不低于|不超过|增长|下降|提高|提升|增加|减少|达到|突破|超过|达"
_NUMBER = r"\d+(?:[.,]\d+)*"
_UNIT = (
    "个百分点|百分点|万亿元|千亿元|百亿元|亿美元|万美元|亿元|万元|美元|元|万平方米|平方公里|"
    "平方米|万千瓦|千瓦|兆瓦|公里|万人|亿|万|%|％|‰|家|个|项|人|名|件|倍|座|所|条|台|套|户|亩|吨"
)
FIGURE = re.compile(
    rf"(?:{_RELATION})?{_NUMBER}(?:\s*[-—–~～至到]\s*{_NUMBER})?(?:{_UNIT})?(?:以上|以下|左右|以内)?"
)


def _reach(spans: list[tuple[int, int]], lo: int, hi: int) -> tuple[int, int]:
    """How far an edit [lo, hi) must grow left and right to cover the figures it touches."""
    left = right = 0
    for start, end in spans:
        touches = (start < hi and end > lo) if lo < hi else (start < lo < end)
        if touches:
            left, right = max(left, lo - start), max(right, end - hi)
    return left, right


def _merge_runs(items: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for tag, a, b in items:
        if tag == "=" and not a:
            continue
        if out and out[-1][0] == tag:
            _, pa, pb = out[-1]
            out[-1] = (tag, pa + a, pb + b)
        else:
            out.append((tag, a, b))
    return out


def _snap_figures(items: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Grow every edit to whole figures (number, unit, relation): `-增长5% +增长6%`."""
    items = _merge_runs(items)
    before = "".join(a for _, a, _ in items)
    after = "".join(b for _, _, b in items)
    figs_a = [m.span() for m in FIGURE.finditer(before)]
    figs_b = [m.span() for m in FIGURE.finditer(after)]
    if not figs_a and not figs_b:
        return items
    grown = True
    while grown:  # each round grows one edit into its neighbours; ends as edits only grow
        grown = False
        pa = pb = 0
        for k, (tag, a, b) in enumerate(items):
            if tag == "~":
                la, ra = _reach(figs_a, pa, pa + len(a))
                lb, rb = _reach(figs_b, pb, pb + len(b))
                left, right = max(la, lb), max(ra, rb)
                if left and k > 0:
                    eq = items[k - 1][1]  # an equal run: edits never sit side by side
                    n = min(left, len(eq))
                    items[k - 1] = ("=", eq[:-n], eq[:-n])
                    a, b = eq[-n:] + a, eq[-n:] + b
                if right and k + 1 < len(items):
                    eq = items[k + 1][1]
                    n = min(right, len(eq))
                    items[k + 1] = ("=", eq[n:], eq[n:])
                    a, b = a + eq[:n], b + eq[:n]
                if (a, b) != (items[k][1], items[k][2]):
                    items[k] = ("~", a, b)
                    items = _merge_runs(items)
                    grown = True
                    break
            pa, pb = pa + len(a), pb + len(b)
    return items


def align_paragraphs(
    zone: str | None,
    before: Sequence[str],
    after: Sequence[str],
    threshold: float = PAIR_THRESHOLD,
    budget: Budget | None = None,
) -> list[Change]:
    """Changes turning paragraphs `before` into `after` (equal paragraphs produce nothing).

    Equal paragraphs are the anchors (difflib over the paragraph lists); between two anchors the
    replaced paragraphs are paired by similarity >= `threshold` (storage.align.pair: bounded
    candidate search, order kept), and only pairs get a character diff.
    """
    changes: list[Change] = []
    budget = budget if budget is not None else Budget()
    for tag, i1, i2, j1, j2 in _anchor_opcodes(before, after):
        if tag == "equal":
            continue
        for i, j in pair(before[i1:i2], after[j1:j2], threshold):
            if i is not None and j is not None:
                a, b = before[i1 + i], after[j1 + j]
                if a == b:
                    continue
                changes.append(Change(zone, "changed", a, b, inline_ops(a, b, budget)))
            elif i is not None:
                a = before[i1 + i]
                changes.append(Change(zone, "removed", a, None, (("-", a),)))
            elif j is not None:
                b = after[j1 + j]
                changes.append(Change(zone, "added", None, b, (("+", b),)))
    return changes


def _anchor_opcodes(
    before: Sequence[str], after: Sequence[str]
) -> Sequence[tuple[str, int, int, int, int]]:
    """Opcodes over whole paragraphs: the runs of equal paragraphs and what lies between them.

    Paragraphs are replaced by small ints first. difflib's cost grows with the product of a
    repeated element's counts, so a paragraph repeated very often on both sides (a hostile page
    of thousands of identical lines) is renumbered: its k-th copy before equals only its k-th
    copy after.
    """
    ids: dict[str, int] = {}
    a = [ids.setdefault(p, len(ids)) for p in before]
    b = [ids.setdefault(p, len(ids)) for p in after]
    ca, cb = Counter(a), Counter(b)
    common = [k for k in ca if k in cb and ca[k] * cb[k] > ANCHOR_REPEAT_MAX]
    if common:  # the k-th copy on one side equals only the k-th copy on the other
        seen: Counter[tuple[int, int]] = Counter()
        crowded = set(common)

        def tag(x: int, side: int) -> int | tuple[int, int]:
            if x not in crowded:
                return x
            seen[(x, side)] += 1
            return (x, seen[(x, side)])

        a2 = [tag(x, 0) for x in a]
        b2 = [tag(x, 1) for x in b]
        sm = SequenceMatcher(None, a2, b2, autojunk=False)
    else:
        sm = SequenceMatcher(None, a, b, autojunk=False)
    return sm.get_opcodes()


def diff_zones(
    before: Sequence[tuple[str | None, Sequence[str]]],
    after: Sequence[tuple[str | None, Sequence[str]]],
) -> list[Change]:
    """Per-zone changes between two revisions given as [(zone or None for intro, paragraphs)]."""
    old = {name: list(paras) for name, paras in before}
    new = {name: list(paras) for name, paras in after}
    order: list[str | None] = [name for name, _ in after]
    order += [name for name, _ in before if name not in new]
    changes: list[Change] = []
    budget = Budget()  # one for the whole revision diff
    for name in order:
        changes.extend(align_paragraphs(name, old.get(name, []), new.get(name, []), budget=budget))
    return changes
