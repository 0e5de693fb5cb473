"""The figure section of `chihwatch fixtures check`: score the gold, print its table."""

from __future__ import annotations

from pathlib import Path

from chihwatch.cli.figurecheck import (
    CLASSES,
    FIGURE_FLOOR,
    FigureScore,
    gold_path,
    load_gold,
    score_gold,
)

__all__ = ["figure_section", "print_figures"]


def figure_section(pages_dir: Path) -> FigureScore | None:
    """Scores of the figure gold next to `pages_dir`, None when that directory has no gold."""
    path = gold_path(pages_dir)
    if not path.exists():
        return None
    return score_gold(load_gold(path), pages_dir.parent)


def print_figures(score: FigureScore) -> None:
    from rich.console import Console
    from rich.table import Table

    def cell(v: float | None) -> str:
        return "-" if v is None else f"{v:.4f}"

    table = Table(title=f"figures (gold, floor {FIGURE_FLOOR} on P, R, kind, indicator)")
    for col in ("set", "gold", "found", "P", "R", "kind", "indicator", "relation", "period"):
        table.add_column(col, justify="left" if col == "set" else "right", no_wrap=True)
    rows = [("pages", score.pages), ("phrases", score.phrases)]
    rows += [(f"  class {c}", score.classes[c]) for c in CLASSES]
    for label, d in rows:
        table.add_row(
            label,
            str(d["gold"]),
            str(d["extracted"]) if d["extracted"] else "",
            cell(d["precision"]),
            cell(d["recall"]),
            cell(d["kind"]),
            cell(d["indicator"]),
            cell(d["relation"]),
            cell(d["period"]),
        )
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    console.print(table)
    for line in score.misses[:40]:
        console.print(f"figures: {line}", markup=False, highlight=False)
    for line in score.problems:
        console.print(f"figures: {line}", markup=False, highlight=False)
