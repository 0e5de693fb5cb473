"""Figure comparisons for the report (docs/figures.md#report): what changed, plan vs last year.

- `compare_figures(before, after, before_source, after_source, zone)`: the figures whose indicator
  (after synonyms), unit and kind appear on both sides with a different value/relation ->
  `target_changes` entries `{zone, indicator, before, after, kind, before_source, after_source,
  unit, before_value, after_value, direction}` (direction "up" / "down" / "").
- `plan_comparison(figures, year, previous, previous_source, source)`: each of this year's targets
  next to last year's plan and last year's reported result for the same indicator, where either
  exists (a result only ever compares with a result, a plan with a plan; the plan-vs-result pair is
  shown side by side, never as a "change").
- `week_changes(data)`: every target_change of a report (new installments and site edits), for the
  week-level 目标变化 table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from parsers.figures import Figure

__all__ = ["compare_figures", "plan_comparison", "week_changes", "source_of"]

_COMPARED = ("target", "actual")


def source_of(head: dict[str, Any], revision: int | None = None) -> dict[str, Any]:
    """The installment (and revision) a figure was read from."""
    out = {
        "year": head.get("year"),
        "installment": head.get("installment"),
        "url": head.get("url"),
        "title": head.get("title"),
    }
    if revision is not None:
        out["revision"] = revision
    return out


def _key(f: Figure) -> tuple[str, str, str]:
    return (f.indicator, f.unit, f.kind)


def _mid(f: Figure) -> float | None:
    if f.value is not None:
        return f.value
    if f.low is not None and f.high is not None:
        return (f.low + f.high) / 2
    return None


def _direction(a: Figure, b: Figure) -> str:
    x, y = _mid(a), _mid(b)
    if x is None or y is None or x == y:
        return ""
    return "up" if y > x else "down"


def _first(figs: Iterable[Figure]) -> dict[tuple[str, str, str], Figure]:
    out: dict[tuple[str, str, str], Figure] = {}
    for f in figs:
        if f.kind in _COMPARED and f.indicator:
            out.setdefault(_key(f), f)
    return out


def _shown(f: Figure) -> str:
    return f.display()


def compare_figures(
    before: Sequence[Figure],
    after: Sequence[Figure],
    before_source: dict[str, Any],
    after_source: dict[str, Any],
    zone: str | None = None,
) -> list[dict[str, Any]]:
    """Figures of `after` whose counterpart in `before` (same indicator, unit, kind) differs."""
    old = _first(before)
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    for f in after:
        k = _key(f)
        if f.kind not in _COMPARED or not f.indicator or k in seen or k not in old:
            continue
        seen.add(k)
        p = old[k]
        if (p.value, p.low, p.high, p.relation) == (f.value, f.low, f.high, f.relation):
            continue
        out.append(
            {
                "zone": zone,
                "indicator": f.indicator,
                "before": _shown(p),
                "after": _shown(f),
                "kind": f.kind,
                "before_source": before_source,
                "after_source": after_source,
                "unit": f.unit,
                "before_value": p.to_dict()["value"],
                "after_value": f.to_dict()["value"],
                "direction": _direction(p, f),
                "before_text": p.text,
                "after_text": f.text,
            }
        )
    return out


def plan_comparison(
    figures: Sequence[Figure],
    year: int | None,
    previous: Sequence[Figure],
    previous_source: dict[str, Any] | None,
    source: dict[str, Any],
) -> list[dict[str, Any]]:
    """This year's targets beside last year's plan and last year's result (same indicator, unit)."""
    if year is None:
        return []
    last_plan: dict[tuple[str, str], Figure] = {}
    last_result: dict[tuple[str, str], tuple[Figure, dict[str, Any] | None]] = {}
    for f in previous:
        if not f.indicator:
            continue
        k = (f.indicator, f.unit)
        if f.kind == "target" and f.period == year - 1:
            last_plan.setdefault(k, f)
        if f.kind == "actual" and f.period == year - 1:
            last_result.setdefault(k, (f, previous_source))
    for f in figures:  # this year's text quoting last year's result
        if f.kind == "actual" and f.indicator and f.period == year - 1:
            last_result.setdefault((f.indicator, f.unit), (f, source))
    out = []
    seen: set[tuple[str, str]] = set()
    for f in figures:
        k = (f.indicator, f.unit)
        if f.kind != "target" or not f.indicator or k in seen:
            continue
        plan = last_plan.get(k)
        result = last_result.get(k)
        if plan is None and result is None:
            continue
        seen.add(k)
        out.append(
            {
                "indicator": f.indicator,
                "unit": f.unit,
                "this_plan": _shown(f),
                "last_plan": _shown(plan) if plan else None,
                "last_plan_source": previous_source if plan else None,
                "last_result": _shown(result[0]) if result else None,
                "last_result_source": result[1] if result else None,
                "vs_plan": _direction(plan, f) if plan else "",
                "vs_result": _direction(result[0], f) if result else "",
            }
        )
    return out


def week_changes(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target change of a report, new installments first, then the site's edits."""
    out: list[dict[str, Any]] = []
    for inst in data.get("new_installments", []):
        for sec in inst.get("sections", []):
            for c in sec.get("target_changes", []):
                out.append({**c, "zone": c.get("zone") or sec.get("zone"), "via": "new"})
    for rev in data.get("revisions", []):
        for c in rev.get("target_changes", []):
            out.append({**c, "via": "edit"})
    return out
