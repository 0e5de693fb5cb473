"""Figure rows of the store, computed on read from the stored sections (docs/figures.md).

`figures_for_store(store, zone=None, indicator=None, year=None, kind="all")` is the public entry
point (the `targets` command, the web app): one row per figure of the latest revision of every
installment, in the figure model of docs/CONTRACTS.md. Nothing is stored: extraction is cached per
section text, so a report or an export pays for each distinct text once per process.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import select

from chihwatch.errors import ConfigError
from parsers.figures import Figure, canonical_indicator, extract_figures
from parsers.gazetteer import canonical_zone
from storage.models import Installment, Revision, Section

__all__ = ["FIELDS", "KIND_CHOICES", "figures_for_store", "section_figures", "figure_rows"]

# The figure model, in this order (CSV columns, XLSX columns, JSON keys).
FIELDS = (
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
KIND_CHOICES = ("target", "actual", "other", "all")


@lru_cache(maxsize=50_000)
def _cached(text: str, year: int | None) -> tuple[Figure, ...]:
    return tuple(extract_figures(text.split("\n") if text else [], year=year, series=True))


def section_figures(text: str | Sequence[str], year: int | None) -> tuple[Figure, ...]:
    """Figures of one stored section (its text joined by newlines, or its paragraphs)."""
    if not isinstance(text, str):
        text = "\n".join(text)
    return _cached(text, year)


def figure_rows(
    head: dict[str, Any], zone: str | None, heading: str, figures: Sequence[Figure]
) -> list[dict[str, Any]]:
    """Figure-model rows: the installment's head (series, year, installment, url) + each figure."""
    out = []
    for f in figures:
        d = f.to_dict()
        out.append(
            {
                "series": head.get("series"),
                "year": head.get("year"),
                "installment": head.get("installment"),
                "url": head.get("url"),
                "zone": zone,
                "heading": heading,
                "paragraph": d["paragraph"],
                "text": d["text"],
                "indicator": d["indicator"],
                "value": d["value"],
                "low": d["low"],
                "high": d["high"],
                "unit": d["unit"],
                "relation": d["relation"],
                "kind": d["kind"],
                "period": d["period"],
            }
        )
    return out


def figures_for_store(
    store: Any,
    zone: str | None = None,
    indicator: str | None = None,
    year: int | None = None,
    kind: str = "all",
) -> list[dict[str, Any]]:
    """Every figure of the latest revision of every installment, filtered; rows of FIELDS.

    zone: a zone name or alias (canonicalised; the intro's figures have zone None and are left
    out when a zone is asked for). indicator: compared after synonyms (GDP == 地区生产总值).
    year: the installment's year. kind: target | actual | other | all.
    """
    if kind not in KIND_CHOICES:
        raise ConfigError(f"kind must be one of {', '.join(KIND_CHOICES)}, not {kind!r}")
    zone_key = (canonical_zone(zone) or canonical_zone(zone + "高新区") or zone) if zone else None
    ind_key = canonical_indicator(indicator) if indicator else None
    with store._read() as s:
        q = (
            select(
                Installment.id,
                Installment.series,
                Installment.year,
                Installment.number,
                Installment.url,
                Revision.id,
                Revision.intro,
            )
            .join(Revision, Revision.id == Installment.latest_revision_id)
            .order_by(Installment.year, Installment.number, Installment.id)
        )
        if year is not None:
            q = q.where(Installment.year == year)
        insts = s.execute(q).all()
        rev_ids = [r[5] for r in insts]
        sections: dict[int, list[tuple[str, str, str]]] = {rid: [] for rid in rev_ids}
        for k in range(0, len(rev_ids), 500):
            sq = (
                select(Section.revision_id, Section.zone, Section.heading, Section.text)
                .where(Section.revision_id.in_(rev_ids[k : k + 500]))
                .order_by(Section.revision_id, Section.position)
            )
            if zone_key:
                sq = sq.where(Section.zone == zone_key)
            for rid, z, heading, text in s.execute(sq):
                sections[rid].append((z, heading or z, text))
    rows: list[dict[str, Any]] = []
    for _iid, series, y, number, url, rid, intro in insts:
        head = {"series": series, "year": y, "installment": number, "url": url}
        parts: list[tuple[str | None, str, str]] = []
        if not zone_key:
            parts.append((None, "", intro or ""))
        parts += sections[rid]
        for z, heading, text in parts:
            figs = section_figures(text, y)
            if kind != "all":
                figs = tuple(f for f in figs if f.kind == kind)
            if ind_key:
                figs = tuple(f for f in figs if f.indicator == ind_key)
            rows += figure_rows(head, z, heading, figs)
    return rows
