"""The ONE place the web app reads figures (numeric targets and results) from.

Today it wraps storage/targets.py's regex extractor; the "figures" work replaces that with a real
extractor exposing `figures_for_store(store, zone=None, indicator=None, year=None, kind="all")`.
On merge, point `figures_for_store` below at it and delete the fallback: every page, the CSV/XLSX
download and the API go through the functions of this module only.

A row: {series, year, installment, url, zone, heading, paragraph, text, indicator, value, low,
high, unit, relation, kind, period}; `kind` is "target" (a plan: 力争、目标、预计…) or "actual"
(a result reported for a past period); `text` is the clause the figure was read from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from storage.queries_web import latest_sections
from storage.targets import extract_targets, subject_key

__all__ = [
    "COLUMNS",
    "indicator_of",
    "figures_for_store",
    "figures_of_paragraphs",
    "figure_label",
    "figure_changes",
]

# The columns of the CSV/XLSX download, in order (the rows of `chihwatch targets`).
COLUMNS = (
    "series",
    "year",
    "installment",
    "url",
    "zone",
    "heading",
    "paragraph",
    "text",
    "indicator",
    "value",
    "low",
    "high",
    "unit",
    "relation",
    "kind",
    "period",
)

_PLAN = re.compile(r"力争|目标|计划|预计|确保|争取|预期|将|要|打造|建设|推动")
_SENTENCE_END = re.compile(r"[。；;！!？?]")


def _kind(paragraph: str, clause: str, year: int | None) -> str:
    """target or actual: a figure in a sentence about a past year, without a plan word, is actual."""
    at = paragraph.find(clause)
    start = 0
    if at >= 0:
        start = max((m.end() for m in _SENTENCE_END.finditer(paragraph, 0, at)), default=0)
    sentence = paragraph[start : at + len(clause)] if at >= 0 else clause
    if _PLAN.search(sentence):
        return "target"
    past = r"去年|上年|过去|已|累计|完成了|实现了"
    if year:
        past += f"|{year - 1}年|{year - 2}年"
    return "actual" if re.search(past, sentence) else "target"


_LEAD = re.compile(r"^(?:全区|该区|园区|高新区|其中|同时|全年)+")


def indicator_of(subject: str, zone: str | None) -> str:
    """The indicator a subject names: the zone's own name and framing words dropped.

    `威海高新区地区生产总值` and `地区生产总值` are one indicator across zones.
    """
    key = subject_key(subject)
    if zone:
        short = zone.removesuffix("高新区")
        for prefix in (zone, short):
            if prefix and key.startswith(prefix) and len(key) > len(prefix) + 1:
                key = key[len(prefix) :]
                break
    stripped = _LEAD.sub("", key)
    return stripped if len(stripped) >= 2 else key


def figures_of_paragraphs(
    base: Mapping[str, Any], paragraphs: Sequence[str]
) -> list[dict[str, Any]]:
    """The figure rows of one section's paragraphs; `base` gives series/year/installment/url/zone."""
    rows: list[dict[str, Any]] = []
    year = base.get("year")
    for i, para in enumerate(paragraphs):
        for t in extract_targets([para]):
            value: float | int = int(t.value) if t.value == int(t.value) else t.value
            rows.append(
                {
                    "series": base.get("series"),
                    "year": year,
                    "installment": base.get("installment"),
                    "url": base.get("url"),
                    "zone": base.get("zone"),
                    "heading": base.get("heading") or base.get("zone"),
                    "paragraph": i,
                    "text": t.text,
                    "indicator": indicator_of(t.subject, base.get("zone")),
                    "value": value,
                    "low": None,
                    "high": None,
                    "unit": t.unit,
                    "relation": t.kind,
                    "kind": _kind(para, t.text, year),
                    "period": str(year) if year else None,
                    "figure": t.display(),
                }
            )
    return rows


def figures_for_store(
    store: Any,
    zone: str | None = None,
    indicator: str | None = None,
    year: int | None = None,
    kind: str = "all",
) -> list[dict[str, Any]]:
    """Every figure of every installment's latest revision, in series order (filters optional)."""
    rows: list[dict[str, Any]] = []
    for sec in latest_sections(store.engine, zone=zone, year=year):
        for row in figures_of_paragraphs(sec, sec["paragraphs"]):
            if indicator is not None and row["indicator"] != indicator:
                continue
            if kind != "all" and row["kind"] != kind:
                continue
            rows.append(row)
    return rows


def figure_label(row: Mapping[str, Any]) -> str:
    """The figure as the text states it: 增长5%, 100亿元以上, 5%–6%."""
    if row.get("figure"):
        return str(row["figure"])
    unit = row.get("unit") or ""
    if row.get("low") is not None and row.get("high") is not None:
        return f"{row['low']}{unit}–{row['high']}{unit}"
    rel = str(row.get("relation") or "")
    suffix = next((s for s in ("以上", "左右", "以内", "以下") if rel.endswith(s)), "")
    return f"{rel[: len(rel) - len(suffix)]}{row.get('value')}{unit}{suffix}"


def figure_changes(
    before: Iterable[Mapping[str, Any]], after: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Figures that differ between two revisions, per (zone, indicator), each listed whole.

    `before`/`after` are figure rows; the result has status changed|added|removed and the old and
    new rows (figure + clause) so the diff page shows both clauses in full.
    """

    def key(r: Mapping[str, Any]) -> tuple[Any, Any]:
        return (r.get("zone"), r.get("indicator"))

    old: dict[tuple[Any, Any], Mapping[str, Any]] = {}
    for r in before:
        old.setdefault(key(r), r)
    new: dict[tuple[Any, Any], Mapping[str, Any]] = {}
    for r in after:
        new.setdefault(key(r), r)
    out: list[dict[str, Any]] = []
    for k, r in new.items():
        p = old.get(k)
        if p is None:
            out.append(
                {"zone": k[0], "indicator": k[1], "status": "added", "before": None, "after": r}
            )
        elif (p.get("value"), p.get("unit"), p.get("relation")) != (
            r.get("value"),
            r.get("unit"),
            r.get("relation"),
        ):
            out.append(
                {"zone": k[0], "indicator": k[1], "status": "changed", "before": p, "after": r}
            )
    for k, p in old.items():
        if k not in new:
            out.append(
                {"zone": k[0], "indicator": k[1], "status": "removed", "before": p, "after": None}
            )
    return out
