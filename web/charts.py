"""Inline SVG of a zone's figures over time: one small chart per indicator, no script.

Targets are hollow circles joined by a dashed line, actual results filled dots joined by a solid
line, so the two read apart in print and for colour-blind readers too. Every label is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

__all__ = ["figure_charts"]

_W, _H = 320, 150
_L, _R, _T, _B = 44, 24, 26, 30


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _chart(indicator: str, unit: str, points: Sequence[Mapping[str, Any]], n: int) -> str:
    years = sorted({int(p["year"]) for p in points})
    lo = min(float(p["value"]) for p in points)
    hi = max(float(p["value"]) for p in points)
    lo = min(lo, 0.0)
    if hi == lo:
        hi = lo + 1
    plot_w, plot_h = _W - _L - _R, _H - _T - _B

    def x(year: int) -> float:
        if len(years) == 1:
            return _L + plot_w / 2
        return _L + plot_w * years.index(year) / (len(years) - 1)

    def y(v: float) -> float:
        return _T + plot_h * (1 - (v - lo) / (hi - lo))

    title = f"{indicator}（{unit}）" if unit else indicator
    desc = "；".join(
        f"{p['year']}年{'目标' if p['kind'] == 'target' else '实际'} {_fmt(float(p['value']))}{unit}"
        for p in points
    )
    out = [
        f'<svg class="chart fig" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" '
        f'role="img" aria-labelledby="fc-{n}-t fc-{n}-d">',
        f'<title id="fc-{n}-t">{escape(title)}</title><desc id="fc-{n}-d">{escape(desc)}</desc>',
        f'<text class="ctitle" x="{_L}" y="16">{escape(title)}</text>',
        f'<line class="axis" x1="{_L}" x2="{_W - _R}" y1="{_T + plot_h}" y2="{_T + plot_h}"/>',
        f'<text class="tick" x="{_L - 4}" y="{y(hi) + 4:.1f}" text-anchor="end">{escape(_fmt(hi))}</text>',
        f'<text class="tick" x="{_L - 4}" y="{y(lo) + 4:.1f}" text-anchor="end">{escape(_fmt(lo))}</text>',
    ]
    for yr in years:
        out.append(
            f'<text class="year" x="{x(yr):.1f}" y="{_H - 10}" text-anchor="middle">{yr}</text>'
        )
    for kind, cls in (("target", "target"), ("actual", "actual")):
        pts = sorted((p for p in points if p["kind"] == kind), key=lambda p: int(p["year"]))
        if len(pts) > 1:
            path = " ".join(f"{x(int(p['year'])):.1f},{y(float(p['value'])):.1f}" for p in pts)
            out.append(f'<polyline class="line {cls}" points="{path}"/>')
        for p in pts:
            label = (
                f"{p['year']}年 {'目标' if kind == 'target' else '实际'}：{p.get('label') or ''}"
            )
            out.append(
                f'<g><title>{escape(label)}</title><circle class="pt {cls}" '
                f'cx="{x(int(p["year"])):.1f}" cy="{y(float(p["value"])):.1f}" r="4"/></g>'
            )
    out.append("</svg>")
    return "".join(out)


def figure_charts(rows: Sequence[Mapping[str, Any]], *, limit: int = 6) -> Markup:
    """Charts for the indicators with the most points (same unit within one chart)."""
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for r in rows:
        if r.get("value") is None or r.get("year") is None:
            continue
        groups.setdefault((str(r.get("indicator")), str(r.get("unit") or "")), []).append(r)
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:limit]
    charts = [
        _chart(ind, unit, pts, i)
        for i, ((ind, unit), pts) in enumerate(ranked)
        if len({int(p["year"]) for p in pts}) >= 1
    ]
    return Markup("".join(charts))
