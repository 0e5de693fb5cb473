"""Scoring the figure extractor against the hand-labelled gold (fixtures/figures_gold.json).

Part of `chihwatch fixtures check` (docs/figures.md#gold). A gold row and an extracted row match
when zone, value (or range) and unit agree (same paragraph preferred when a value repeats). Scores:
precision and recall of those matches, kind accuracy over the matches, indicator agreement over the
matched target/actual rows (after synonyms; `other` rows carry no scored indicator), and per phrase
class (range, wan, fenbie, tongbi, zuoyou, result) the recall, kind accuracy and indicator agreement
of the gold rows of that class. Each of the four overall scores must reach FIGURE_FLOOR.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chihwatch.cli.fixturecheck import load_expected
from chihwatch.errors import InputError

__all__ = [
    "FIGURE_FLOOR",
    "CLASSES",
    "FigureScore",
    "gold_path",
    "load_gold",
    "score_gold",
    "Extractor",
]

FIGURE_FLOOR = 0.95
CLASSES = ("range", "wan", "fenbie", "tongbi", "zuoyou", "result")

# (paragraphs, year, series) -> rows of (paragraph, value, low, high, unit, relation, kind, indicator)
Extractor = Callable[[Sequence[str], int | None, bool], list[tuple[Any, ...]]]


@dataclass
class _Tally:
    gold: int = 0
    got: int = 0
    matched: int = 0
    kind_ok: int = 0
    ind_n: int = 0
    ind_ok: int = 0
    rel_ok: int = 0
    period_ok: int = 0

    def add(self, other: _Tally) -> None:
        for k in vars(self):
            setattr(self, k, getattr(self, k) + getattr(other, k))

    def as_dict(self) -> dict[str, Any]:
        def ratio(a: int, b: int) -> float | None:
            return round(a / b, 4) if b else None

        return {
            "gold": self.gold,
            "extracted": self.got,
            "matched": self.matched,
            "precision": ratio(self.matched, self.got),
            "recall": ratio(self.matched, self.gold),
            "kind": ratio(self.kind_ok, self.matched),
            "indicator": ratio(self.ind_ok, self.ind_n),
            "relation": ratio(self.rel_ok, self.matched),
            "period": ratio(self.period_ok, self.matched),
        }


@dataclass
class FigureScore:
    """Scores of the pages, of the hand-written phrases, per class; problems make it fail."""

    pages: dict[str, Any]
    phrases: dict[str, Any]
    classes: dict[str, dict[str, Any]]
    docs: dict[str, dict[str, Any]]
    misses: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "floor": FIGURE_FLOOR,
            "ok": self.ok,
            "pages": self.pages,
            "phrases": self.phrases,
            "classes": self.classes,
            "docs": self.docs,
            "misses": self.misses,
            "problems": self.problems,
        }


def gold_path(pages_dir: Path) -> Path:
    """fixtures/figures_gold.json next to the pages directory."""
    return pages_dir.parent / "figures_gold.json"


def load_gold(path: Path) -> dict[str, Any]:
    """The figure gold file (a JSON object), or a one-line InputError."""
    return load_expected(path)


def default_extractor(paras: Sequence[str], year: int | None, series: bool) -> list[tuple]:
    from parsers.figures import extract_figures

    return [
        (f.paragraph, f.value, f.low, f.high, f.unit, f.relation, f.kind, f.indicator, f.period)
        for f in extract_figures(paras, year=year, series=series)
    ]


def _vkey(value: Any, low: Any = None, high: Any = None) -> tuple:
    if isinstance(value, list):
        return ("range", round(float(value[0]), 2), round(float(value[1]), 2))
    if value is None:
        if low is None:
            return ("none",)
        return ("range", round(float(low), 2), round(float(high), 2))
    return ("v", round(float(value), 2))


def _extract_article(
    path: Path, extractor: Extractor
) -> tuple[list[tuple[Any, ...]], int | None, bool]:
    from parsers import parse

    try:
        art = parse(path.read_bytes())
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    year = art.year or (int(art.published[:4]) if art.published else None)
    series = art.installment is not None
    rows: list[tuple[Any, ...]] = []
    for zone, paras in [(None, art.intro)] + [(z.name, z.paragraphs) for z in art.zones]:
        rows += [(zone, *r) for r in extractor(list(paras), year, series)]
    return rows, year, series


def _score(gold_rows: list[list[Any]], got: list[tuple[Any, ...]], where: str, misses: list[str]):
    from parsers.figures import canonical_indicator

    t = _Tally(gold=len(gold_rows), got=len(got))
    per_class: dict[str, _Tally] = {c: _Tally() for c in CLASSES}
    used: set[int] = set()
    for g in gold_rows:
        zone, para, value, unit, relation, kind, indicator, period = g[:8]
        classes = g[8] if len(g) > 8 else []
        gk = (zone, _vkey(value), unit)
        cands = [
            i
            for i, r in enumerate(got)
            if i not in used and (r[0], _vkey(r[2], r[3], r[4]), r[5]) == gk
        ]
        cands.sort(key=lambda i: (got[i][1] != para, abs(got[i][1] - para)))
        ct = [per_class[c] for c in classes if c in per_class]
        for c in ct:
            c.gold += 1
        if not cands:
            misses.append(f"{where}: missed {zone} ¶{para} {value}{unit} ({indicator})")
            continue
        r = got[cands[0]]
        used.add(cands[0])
        hit = _Tally(matched=1)
        hit.kind_ok = int(r[7] == kind)
        hit.rel_ok = int(r[6] == relation)
        hit.period_ok = int(r[9] == period)
        if kind in ("target", "actual") and indicator:
            hit.ind_n = 1
            hit.ind_ok = int(canonical_indicator(indicator) == r[8])
            if not hit.ind_ok:
                misses.append(f"{where}: {zone} ¶{para} indicator {r[8]!r} != {indicator!r}")
        if not hit.kind_ok:
            misses.append(f"{where}: {zone} ¶{para} {value}{unit} kind {r[7]} != {kind}")
        t.add(hit)
        for c in ct:
            c.add(hit)
    for i, r in enumerate(got):
        if i not in used:
            misses.append(
                f"{where}: extra {r[0]} ¶{r[1]} {r[2] if r[2] is not None else (r[3], r[4])}{r[5]} ({r[8]})"
            )
    return t, per_class


def score_gold(
    gold: dict[str, Any], fixtures_root: Path, extractor: Extractor | None = None
) -> FigureScore:
    """Score `extractor` (default: parsers.figures) on every gold document and phrase set."""
    extractor = extractor or default_extractor
    pages, phrases = _Tally(), _Tally()
    classes = {c: _Tally() for c in CLASSES}
    docs: dict[str, dict[str, Any]] = {}
    misses: list[str] = []
    problems: list[str] = []
    for name, doc in gold.get("docs", {}).items():
        sources = doc.get("sources") or []
        if not sources:
            problems.append(f"gold {name}: no sources")
            continue
        got, _year, _series = _extract_article(fixtures_root / sources[0], extractor)
        t, pc = _score(doc.get("figures", []), got, name, misses)
        pages.add(t)
        for c, v in pc.items():
            classes[c].add(v)
        docs[name] = t.as_dict()
        # The same text saved elsewhere (encodings, site states, redesign) gives the same figures.
        shape = [r[:9] for r in got]
        for other in sources[1:]:
            again, _y, _s = _extract_article(fixtures_root / other, extractor)
            if [r[:9] for r in again] != shape:
                problems.append(f"gold {name}: {other} gives other figures than {sources[0]}")
    for k, doc in enumerate(gold.get("phrases", {}).get("docs", [])):
        paras = doc["paragraphs"]
        got = [(None, *r) for r in extractor(paras, doc.get("year"), bool(doc.get("series", True)))]
        t, pc = _score(doc.get("figures", []), got, f"phrases#{k}", misses)
        phrases.add(t)
        for c, v in pc.items():
            classes[c].add(v)
    out = FigureScore(
        pages=pages.as_dict(),
        phrases=phrases.as_dict(),
        classes={c: v.as_dict() for c, v in classes.items()},
        docs=docs,
        misses=misses,
        problems=problems,
    )
    for label, s in (("pages", out.pages), ("phrases", out.phrases)):
        for metric in ("precision", "recall", "kind", "indicator"):
            v = s[metric]
            if v is None or v < FIGURE_FLOOR:
                problems.append(f"figures ({label}): {metric} {v} < {FIGURE_FLOOR}")
    return out
