"""The ONE place the web app reads figures (numeric targets and results) from.

It wraps the figure extractor (parsers/figures.py through storage/figures.py): every page, the
CSV/XLSX download and the API go through the functions of this module only.

A row: {series, year, installment, url, zone, heading, paragraph, text, indicator, value, low,
high, unit, relation, kind, period} (docs/CONTRACTS.md), plus `figure`: the figure as published
(增长5%, 100亿元以上) for display.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from parsers.figures import figure_display
from storage import figures as store_figures

__all__ = [
    "COLUMNS",
    "figures_for_store",
    "figures_of_paragraphs",
    "figure_label",
    "figure_changes",
]

# The columns of the CSV/XLSX download, in order (the rows of `chihwatch targets`).
COLUMNS = store_figures.FIELDS


def _with_label(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        row["figure"] = figure_display(row)
    return rows


def figures_of_paragraphs(
    base: Mapping[str, Any], paragraphs: Sequence[str]
) -> list[dict[str, Any]]:
    """The figure rows of one section's paragraphs; `base` gives series/year/installment/url/zone."""
    figs = store_figures.section_figures(list(paragraphs), base.get("year"))
    head = {k: base.get(k) for k in ("series", "year", "installment", "url")}
    zone = base.get("zone")
    return _with_label(
        store_figures.figure_rows(head, zone, base.get("heading") or zone or "", figs)
    )


def figures_for_store(
    store: Any,
    zone: str | None = None,
    indicator: str | None = None,
    year: int | None = None,
    kind: str = "all",
) -> list[dict[str, Any]]:
    """Every figure of every installment's latest revision, in series order (filters optional)."""
    return _with_label(
        store_figures.figures_for_store(store, zone=zone, indicator=indicator, year=year, kind=kind)
    )


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
