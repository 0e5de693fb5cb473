"""Bounded-cost pairing of paragraphs by similarity (the expensive part of a diff).

`pair(a, b, threshold)` pairs the paragraphs of two lists that are at least `threshold` similar,
keeping their order (a pair never crosses another), and maximising the total similarity of the
pairs. The cost is bounded whatever the input:

- small blocks (up to EXACT_PAIRS paragraph pairs) compare every pair: the optimal alignment;
- larger blocks compare each old paragraph only with a bounded set of candidates: the new
  paragraphs near its diagonal position and near the successor of the new paragraph the previous
  old one resembled most (WINDOW either side), and the TOP_K new paragraphs sharing
  the most *rare* character bigrams with it (bigrams found in at most RARE_DF new paragraphs;
  histogram diff's idea of anchoring on rare elements) when nothing near scored STRONG, so a
  paragraph pushed far down by an insertion is still found;
- one comparison is rapidfuzz's Indel similarity (2·LCS / total length, bit-parallel C++,
  `score_cutoff` stops early); paragraphs too long for that (SCORE_CHARS_MAX) are compared by
  their bigram multisets, which is linear.

So the work is O(n · (4·WINDOW + TOP_K)) comparisons plus O(n log n) for the order-preserving
choice, instead of the O(n · m) full comparisons of the old greedy search.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rapidfuzz.distance import Indel

__all__ = ["pair", "similarity"]

EXACT_PAIRS = 64 * 64
WINDOW = 8
TOP_K = 8
RARE_DF = 16
RARE_PER_PARAGRAPH = 32
# A partner this similar found near the diagonal ends the search for that paragraph.
STRONG = 0.8
# Above this product of lengths (two 3,000-character paragraphs) LCS is replaced by bigram Dice.
SCORE_CHARS_MAX = 3000 * 3000


def _bigrams(s: str) -> Counter[str]:
    return Counter(s[k : k + 2] for k in range(len(s) - 1))


def similarity(a: str, b: str, cutoff: float = 0.0) -> float:
    """Similarity of two paragraphs, 0..1 (0 when below `cutoff`)."""
    if not a and not b:
        return 1.0
    if len(a) * len(b) <= SCORE_CHARS_MAX:
        return Indel.normalized_similarity(a, b, score_cutoff=cutoff)
    ga, gb = _bigrams(a), _bigrams(b)
    total = sum(ga.values()) + sum(gb.values())
    score = 2 * sum((ga & gb).values()) / total if total else 0.0
    return score if score >= cutoff else 0.0


class _Candidates:
    """The new paragraphs worth comparing with one old paragraph of a large block."""

    def __init__(self, a: Sequence[str], b: Sequence[str]) -> None:
        self.a, self.b = a, b
        self._rare: dict[str, list[int]] | None = None

    def near(self, i: int, follow: int) -> list[int]:
        n, m = len(self.a), len(self.b)
        centre = (i * m) // n
        out = set(range(max(0, centre - WINDOW), min(m, centre + WINDOW + 1)))
        if follow >= 0:  # follow the run we are in: an insertion shifts the diagonal
            out.update(range(max(0, follow + 1 - WINDOW), min(m, follow + 1 + WINDOW + 1)))
        return sorted(out)

    def rare(self, i: int) -> list[int]:
        if self._rare is None:  # built on first need: blocks of edited paragraphs never do
            postings: dict[str, list[int]] = {}
            for j, p in enumerate(self.b):
                for g in {p[k : k + 2] for k in range(len(p) - 1)}:
                    postings.setdefault(g, []).append(j)
            self._rare = {g: js for g, js in postings.items() if len(js) <= RARE_DF}
        rare, p = self._rare, self.a[i]
        grams = sorted(
            {p[k : k + 2] for k in range(len(p) - 1)} & rare.keys(), key=lambda g: len(rare[g])
        )
        hits: Counter[int] = Counter()
        for g in grams[:RARE_PER_PARAGRAPH]:
            hits.update(rare[g])
        return sorted(j for j, _ in hits.most_common(TOP_K))


def pair(
    a: Sequence[str], b: Sequence[str], threshold: float
) -> list[tuple[int | None, int | None]]:
    """(i, j) pairs, (i, None) unpaired old and (None, j) unpaired new paragraphs, in order.

    Between two pairs, unpaired old paragraphs come before unpaired new ones.
    """
    n, m = len(a), len(b)
    chosen: list[tuple[int, int]] = []
    if n and m:
        # Order-preserving maximum total similarity: DP over candidate pairs in i order, with a
        # Fenwick tree over j holding the best chain ending before each j.
        size = m
        tree_val = [0.0] * (size + 1)
        tree_arg: list[int] = [-1] * (size + 1)
        nodes: list[tuple[int, int, int]] = []  # (i, j, previous node index)

        def query(j: int) -> tuple[float, int]:  # best chain with last j' < j
            best, arg = 0.0, -1
            k = j
            while k > 0:
                if tree_val[k] > best:
                    best, arg = tree_val[k], tree_arg[k]
                k -= k & -k
            return best, arg

        def update(j: int, val: float, node: int) -> None:
            k = j + 1
            while k <= size:
                if val > tree_val[k]:
                    tree_val[k], tree_arg[k] = val, node
                k += k & -k

        best_total, best_node = 0.0, -1
        cands = None if n * m <= EXACT_PAIRS else _Candidates(a, b)
        follow = -1  # the new paragraph the previous old one resembled most
        for i in range(n):
            pending: list[tuple[int, float, int]] = []
            top, follow_next = 0.0, -1
            todo: Sequence[int] = range(m) if cands is None else cands.near(i, follow)
            seen: set[int] = set()
            far = False
            while todo:
                for j in todo:
                    seen.add(j)
                    score = similarity(a[i], b[j], threshold)
                    if score <= 0.0 or score < threshold:
                        continue
                    if score > top:
                        top, follow_next = score, j
                    prev_val, prev_node = query(j)
                    pending.append((j, prev_val + score, prev_node))
                # Nothing close by: look further, at the paragraphs sharing rare bigrams.
                todo = []
                if cands is not None and top < STRONG and not far:
                    far = True
                    todo = [j for j in cands.rare(i) if j not in seen]
            if follow_next >= 0:
                follow = follow_next
            for j, val, prev_node in pending:  # after all queries: one i pairs at most once
                nodes.append((i, j, prev_node))
                update(j, val, len(nodes) - 1)
                if val > best_total:
                    best_total, best_node = val, len(nodes) - 1
        node = best_node
        while node >= 0:
            i, j, node = nodes[node]
            chosen.append((i, j))
        chosen.reverse()
    out: list[tuple[int | None, int | None]] = []
    i_next = j_next = 0
    for i, j in [*chosen, (n, m)]:
        out.extend((k, None) for k in range(i_next, i))
        out.extend((None, k) for k in range(j_next, j))
        if i < n:
            out.append((i, j))
        i_next, j_next = i + 1, j + 1
    return out
