"""The diff engine: paragraphs aligned per zone, changed paragraphs with character-level ops."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

__all__ = ["Change", "inline_ops", "align_paragraphs", "diff_zones", "similarity"]

# Two paragraphs this similar (SequenceMatcher ratio) are one paragraph edited, not a swap;
# calibrated on the seed: a paragraph with one target figure changed scores > 0.9, two unrelated
# zone paragraphs of the same installment score 0.1-0.3.
PAIR_THRESHOLD = 0.45
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


def similarity(a: str, b: str) -> float:
    """Character similarity of two paragraphs, 0..1."""
    if not a and not b:
        return 1.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def inline_ops(before: str, after: str) -> tuple[tuple[str, str], ...]:
    """Character-level ops [("=", t), ("-", t), ("+", t)] turning `before` into `after`."""
    sm = SequenceMatcher(None, before, after, autojunk=False)
    raw: list[tuple[str, str, str]] = []  # (tag, a_text, b_text)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        raw.append(("=" if tag == "equal" else "~", before[i1:i2], after[j1:j2]))
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
    folded = _widen_numbers(folded)
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


def _digit_tail(s: str) -> int:
    n = 0
    while n < len(s) and (s[-1 - n].isdigit() or s[-1 - n] == "."):
        n += 1
    return n


def _digit_head(s: str) -> int:
    n = 0
    while n < len(s) and (s[n].isdigit() or s[n] == "."):
        n += 1
    return n


def _widen_numbers(items: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Grow an edit to whole numbers: 100->120 reads "-100 +120", not "1-0+20"."""
    out = list(items)
    for k, (tag, a, b) in enumerate(out):
        if tag != "~":
            continue
        if k > 0 and out[k - 1][0] == "=":
            n = _digit_tail(out[k - 1][1])
            if n:
                eq = out[k - 1][1]
                out[k - 1] = ("=", eq[:-n], eq[:-n])
                a, b = eq[-n:] + a, eq[-n:] + b
        if k + 1 < len(out) and out[k + 1][0] == "=":
            n = _digit_head(out[k + 1][1])
            if n:
                eq = out[k + 1][1]
                out[k + 1] = ("=", eq[n:], eq[n:])
                a, b = a + eq[:n], b + eq[:n]
        out[k] = ("~", a, b)
    return [item for item in out if item[0] == "~" or item[1]]


def _pair(a: Sequence[str], b: Sequence[str]) -> list[tuple[int | None, int | None]]:
    """Pair replaced paragraphs by similarity, keeping order; unpaired ones stand alone."""
    pairs: list[tuple[int | None, int | None]] = []
    j_next = 0
    for i, pa in enumerate(a):
        best, best_j = 0.0, None
        for j in range(j_next, len(b)):
            sm = SequenceMatcher(None, pa, b[j], autojunk=False)
            # quick_ratio() bounds ratio() from above at a fraction of its cost.
            floor = max(best, PAIR_THRESHOLD)
            if sm.real_quick_ratio() < floor or sm.quick_ratio() < floor:
                continue
            score = sm.ratio()
            if score > best:
                best, best_j = score, j
        if best_j is not None and best >= PAIR_THRESHOLD:
            for j in range(j_next, best_j):
                pairs.append((None, j))
            pairs.append((i, best_j))
            j_next = best_j + 1
        else:
            pairs.append((i, None))
    for j in range(j_next, len(b)):
        pairs.append((None, j))
    return pairs


def align_paragraphs(zone: str | None, before: Sequence[str], after: Sequence[str]) -> list[Change]:
    """Changes turning paragraphs `before` into `after` (equal paragraphs produce nothing)."""
    changes: list[Change] = []
    sm = SequenceMatcher(None, list(before), list(after), autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        for i, j in _pair(before[i1:i2], after[j1:j2]):
            if i is not None and j is not None:
                a, b = before[i1 + i], after[j1 + j]
                changes.append(Change(zone, "changed", a, b, inline_ops(a, b)))
            elif i is not None:
                a = before[i1 + i]
                changes.append(Change(zone, "removed", a, None, (("-", a),)))
            elif j is not None:
                b = after[j1 + j]
                changes.append(Change(zone, "added", None, b, (("+", b),)))
    return changes


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
    for name in order:
        changes.extend(align_paragraphs(name, old.get(name, []), new.get(name, [])))
    return changes
