"""`chihwatch targets`: every figure of the store (figure model, docs/figures.md) as a table,
JSON, CSV (UTF-8 with BOM, so Excel opens the Chinese) or XLSX (openpyxl)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import click

from chihwatch.errors import DatabaseError, NotFound, OutputError

__all__ = ["targets_cmd", "write_xlsx", "to_csv"]


def _open_existing(db_url: str | None) -> Any:
    """The store, but never a fresh empty SQLite file: a read command on a missing db is exit 5."""
    from sqlalchemy.engine import make_url

    from chihwatch.paths import resolve_db_url
    from storage import open_store

    url = resolve_db_url(db_url)
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - open_store reports a bad URL in its own words
        parsed = None
    if parsed is not None and parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:" and not Path(db).exists():
            raise DatabaseError(f"no database at {db} (nothing crawled or ingested yet)")
    return open_store(url)


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    """CSV of the rows, UTF-8 with a BOM, columns in figure-model order."""
    from storage.figures import FIELDS

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(FIELDS)
    for r in rows:
        w.writerow(["" if r[f] is None else r[f] for f in FIELDS])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _sheet_title(name: str, used: set[str]) -> str:
    bad = set("[]:*?/\\")
    base = "".join("_" if c in bad else c for c in name)[:28] or "指标"
    title, n = base, 2
    while title in used:
        title, n = f"{base[:26]}~{n}", n + 1
    used.add(title)
    return title


def write_xlsx(rows: list[dict[str, Any]], path: Path) -> None:
    """One sheet of rows, then per indicator a zone × year sheet of its figures as read."""
    from openpyxl import Workbook

    from parsers.figures import figure_display
    from storage.figures import FIELDS

    wb = Workbook()
    ws = wb.active
    ws.title = "figures"
    ws.append(list(FIELDS))
    for r in rows:
        ws.append([r[f] for f in FIELDS])
    used = {"figures"}
    by_ind: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r["kind"] != "other" and r["indicator"]:
            by_ind.setdefault(r["indicator"], []).append(r)
    for ind, items in sorted(by_ind.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        years = sorted({r["year"] for r in items})
        zones = sorted({r["zone"] or "（导语）" for r in items})
        cell: dict[tuple[str, int], list[str]] = {}
        for r in items:
            shown = figure_display(r) + ("（实绩）" if r["kind"] == "actual" else "")
            cell.setdefault((r["zone"] or "（导语）", r["year"]), []).append(shown)
        sh = wb.create_sheet(_sheet_title(ind, used))
        sh.append([ind, *years])
        for z in zones:
            sh.append([z, *["；".join(cell.get((z, y), [])) for y in years]])
    try:
        wb.save(path)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _table(rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from parsers.figures import figure_display

    table = Table(title=f"{len(rows)} figures", title_justify="left")
    for col in ("installment", "zone", "indicator", "figure", "kind", "period"):
        table.add_column(col)
    kinds = {"target": "目标", "actual": "实绩", "other": "其他"}
    for r in rows:
        table.add_row(
            f"{r['year']}-{r['installment']}",
            escape(r["zone"] or "（导语）"),
            escape(r["indicator"]),
            escape(figure_display(r)),
            kinds.get(r["kind"], r["kind"]),
            str(r["period"] or ""),
        )
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(width=160, highlight=False)
    console.print(table)


@click.command("targets")
@click.option("--zone", metavar="Z", help="Only this zone (name or alias: 合肥, 天津滨海高新区).")
@click.option(
    "--indicator", metavar="I", help="Only this indicator (synonyms apply: GDP = 地区生产总值)."
)
@click.option("--year", type=int, metavar="Y", help="Only installments of this year.")
@click.option(
    "--kind",
    type=click.Choice(["target", "actual", "other", "all"]),
    default="all",
    show_default=True,
    help="target: goals; actual: reported results; other: counts of a plan's parts, thresholds.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv", "xlsx"]),
    default="table",
    show_default=True,
)
@click.option("-o", "--output", metavar="FILE", help="Write to FILE (required for xlsx).")
@click.pass_context
def targets_cmd(
    ctx: click.Context,
    zone: str | None,
    indicator: str | None,
    year: int | None,
    kind: str,
    fmt: str,
    output: str | None,
) -> None:
    """Every figure of the latest revision of every installment (docs/figures.md)."""
    from storage.figures import figures_for_store

    if fmt == "xlsx" and not output:
        raise click.UsageError("--format xlsx writes a file: give -o FILE")
    store = _open_existing((ctx.obj or {}).get("db_url"))
    try:
        rows = figures_for_store(store, zone=zone, indicator=indicator, year=year, kind=kind)
    finally:
        store.close()
    if not rows:
        asked = ", ".join(
            f"{k} {v}"
            for k, v in (("zone", zone), ("indicator", indicator), ("year", year))
            if v is not None
        )
        raise NotFound("no figures" + (f" for {asked}" if asked else " in the store"))
    if fmt == "xlsx":
        write_xlsx(rows, Path(output))  # type: ignore[arg-type]
        click.echo(f"{len(rows)} figures written to {output}", err=True)
        return
    if fmt == "table" and not output:
        _table(rows)
        return
    if fmt == "csv":
        data = to_csv(rows)
    elif fmt == "json":
        data = (json.dumps(rows, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    else:  # a table to a file: the plain-text form
        data = "\n".join(
            "\t".join("" if r[k] is None else str(r[k]) for k in r) for r in rows
        ).encode("utf-8")
    if output:
        try:
            Path(output).write_bytes(data)
        except OSError as exc:
            raise OutputError(f"cannot write {output}: {exc.strerror or exc}") from None
        click.echo(f"{len(rows)} figures written to {output}", err=True)
    else:
        click.get_binary_stream("stdout").write(data)
