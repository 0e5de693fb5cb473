"""Inline SVG charts for the HTML report (no scripts, no external resources)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

from reports.model import circled

__all__ = ["series_chart"]

_BAR = 22  # bar width in user units; the SVG scales to the page width through its viewBox
_GAP = 8
_YEAR_GAP = 26
_TOP, _BOTTOM, _LEFT, _RIGHT = 24, 46, 30, 10
_PLOT_H = 150


def series_chart(
    series: Sequence[Mapping[str, Any]],
    highlight: Collection[tuple[int, int]] = (),
    *,
    title: str = "各期覆盖的高新区数量",
) -> Markup:
    """Bar chart of zones per installment over the series; installments in `highlight` stand out."""
    items = [s for s in series if s.get("installment") is not None]
    if not items:
        return Markup("")
    items.sort(key=lambda s: (s.get("year") or 0, s.get("installment") or 0))
    top = max(int(s.get("zones") or 0) for s in items)
    top = max(top, 1)
    # Pick a tick step that keeps at most ~5 gridlines whatever the maximum.
    step = next(st for st in (1, 2, 5, 10, 20, 50, 100, 10**9) if top / st <= 5)
    top = -(-top // step) * step
    scale = _PLOT_H / top

    # Few bars: widen them so a short series still fills a readable chart.
    bar = max(_BAR, min(48.0, 420 / len(items) - _GAP))
    xs: list[float] = []
    years: list[tuple[int, float, float]] = []  # (year, first x, last x)
    x = float(_LEFT + _GAP)
    prev_year = None
    for s in items:
        year = s.get("year") or 0
        if prev_year is not None and year != prev_year:
            x += _YEAR_GAP
        if year != prev_year:
            years.append((year, x, x))
        years[-1] = (years[-1][0], years[-1][1], x)
        xs.append(x)
        x += bar + _GAP
        prev_year = year
    width = x + _RIGHT
    height = _TOP + _PLOT_H + _BOTTOM
    base = _TOP + _PLOT_H

    out: list[str] = []
    out.append(
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height}" '
        f'role="img" aria-labelledby="chart-title chart-desc" preserveAspectRatio="xMinYMin meet">'
    )
    desc = "；".join(
        f"{s.get('year')}年{circled(s.get('installment'))} {int(s.get('zones') or 0)}个"
        for s in items
    )
    out.append(f'<title id="chart-title">{escape(title)}</title>')
    out.append(f'<desc id="chart-desc">{escape(desc)}</desc>')
    for tick in range(0, top + 1, step):
        y = base - tick * scale
        out.append(
            f'<line class="grid" x1="{_LEFT}" x2="{width - _RIGHT:.0f}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>'
        )
    marked = {(int(y), int(n)) for y, n in highlight}
    for s, bx in zip(items, xs, strict=True):
        n = int(s.get("zones") or 0)
        h = n * scale
        key = (int(s.get("year") or 0), int(s.get("installment") or 0))
        cls = "bar new" if key in marked else "bar"
        label = f"{s.get('title') or ''}：{n}个高新区"
        out.append(
            f"<g><title>{escape(label)}</title>"
            f'<rect class="{cls}" x="{bx:.1f}" y="{base - h:.1f}" width="{bar:.1f}" height="{h:.1f}" rx="3"/>'
            f'<text class="val" x="{bx + bar / 2:.1f}" y="{base - h - 5:.1f}" text-anchor="middle">{n}</text>'
            f'<text class="num" x="{bx + bar / 2:.1f}" y="{base + 16}" text-anchor="middle">'
            f"{escape(circled(s.get('installment')))}</text></g>"
        )
    for year, x0, x1 in years:
        mid = (x0 + x1 + bar) / 2
        out.append(
            f'<line class="axis" x1="{x0 - 2:.1f}" x2="{x1 + bar + 2:.1f}" y1="{base + 24}" y2="{base + 24}"/>'
            f'<text class="year" x="{mid:.1f}" y="{base + 40}" text-anchor="middle">{escape(str(year))}年</text>'
        )
    out.append(
        f'<line class="axis" x1="{_LEFT}" x2="{width - _RIGHT:.0f}" y1="{base}" y2="{base}"/>'
    )
    out.append("</svg>")
    return Markup("".join(out))
