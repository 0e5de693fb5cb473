"""Benchmark of the figures: extraction vs parsing, and `targets` / the report over a large store.

    python bench/figures.py [--quick] [--installments 10000]

1. Per saved installment page: figure extraction of all its sections (parsers.figures, no cache) as
   a ratio to parsing the same page (parsers.parse), medians of repeated runs.
2. A generated store (bench/store.py's generator: N installments x 5 revisions x 3 zones, SQLite):
   `figures_for_store` (the `targets` rows, cold and warm extraction cache), its CSV export, and the
   weekly report, each as a ratio to a plain SELECT of the same section rows in the same run.
--quick: 300 installments and fewer repeats (what the test runs).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import store as store_bench  # noqa: E402  (bench/store.py: the shared generator)

from chihwatch.cli.targets import to_csv  # noqa: E402
from parsers import parse  # noqa: E402
from parsers.figures import extract_figures  # noqa: E402
from storage import figures as storage_figures  # noqa: E402
from storage import open_store  # noqa: E402


def median_time(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def extraction_vs_parse(runs: int) -> list[dict[str, Any]]:
    out = []
    for html in sorted((ROOT / "fixtures" / "pages").glob("*.html")):
        exp = json.loads(html.with_suffix(".json").read_text(encoding="utf-8"))
        if exp.get("error") or exp.get("installment") is None:
            continue
        data = html.read_bytes()
        art = parse(data)
        sections = [art.intro] + [z.paragraphs for z in art.zones]

        def extract(sections: list = sections, year: int | None = art.year) -> None:
            for paras in sections:
                extract_figures(paras, year=year)

        p = median_time(lambda data=data: parse(data), runs)
        e = median_time(extract, runs)
        n = sum(len(extract_figures(s, year=art.year)) for s in sections)
        out.append(
            {
                "page": html.stem,
                "sections": len(sections),
                "figures": n,
                "parse_ms": p * 1000,
                "extract_ms": e * 1000,
                "per_section_ms": e * 1000 / len(sections),
                "ratio": e / p,
            }
        )
    return out


def store_part(installments: int, runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        st = open_store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        store_bench.generate(st.engine, installments)
        with st.engine.begin() as conn:  # the shared generator leaves them unconfirmed
            conn.execute(text("UPDATE installments SET confirmed_at = first_seen"))

        def plain() -> list[Any]:
            with st.engine.connect() as conn:
                return conn.execute(
                    text(
                        "SELECT i.year, i.number, i.url, s.zone, s.heading, s.text, r.intro "
                        "FROM installments i JOIN revisions r ON r.id = i.latest_revision_id "
                        "JOIN sections s ON s.revision_id = r.id"
                    )
                ).fetchall()

        def cold() -> list[dict[str, Any]]:
            storage_figures._cached.cache_clear()
            return storage_figures.figures_for_store(st)

        rows = cold()
        base = median_time(plain, runs)
        t_cold = median_time(cold, runs)
        t_warm = median_time(lambda: storage_figures.figures_for_store(st), runs)
        t_csv = median_time(lambda: to_csv(rows), runs)
        mid = store_bench.START + timedelta(days=installments // store_bench.PER_DAY // 2)
        since, until = mid.replace(tzinfo=UTC), (mid + timedelta(days=7)).replace(tzinfo=UTC)

        def report() -> dict[str, Any]:
            storage_figures._cached.cache_clear()
            return st.report_data(since, until)

        data = report()
        t_rep = median_time(report, runs)
        st.close()
    return {
        "installments": installments,
        "revisions": installments * store_bench.REVISIONS,
        "figure_rows": len(rows),
        "baseline_ms": base * 1000,
        "targets_cold": t_cold / base,
        "targets_warm": t_warm / base,
        "csv_export": t_csv / base,
        "report_week": t_rep / base,
        "report_new": data["summary"]["new_installments"],
        "report_target_changes": len(data["target_changes"]),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--installments", type=int, default=None)
    args = ap.parse_args(argv)
    n = args.installments or (300 if args.quick else 10_000)
    runs = 3 if args.quick else 5
    pages = extraction_vs_parse(runs)
    print("extraction vs parse (per saved installment page, medians)")
    print(
        f"{'page':28s} {'secs':>4s} {'figs':>4s} {'parse ms':>9s} {'extract ms':>10s} {'per sec ms':>10s} {'ratio':>6s}"
    )
    for r in pages:
        print(
            f"{r['page']:28s} {r['sections']:4d} {r['figures']:4d} {r['parse_ms']:9.2f} "
            f"{r['extract_ms']:10.2f} {r['per_section_ms']:10.3f} {r['ratio']:6.3f}"
        )
    ratios = [r["ratio"] for r in pages]
    print(f"extract/parse: median {statistics.median(ratios):.3f}x, max {max(ratios):.3f}x")
    s = store_part(n, runs)
    print()
    print(
        f"store: {s['installments']} installments x {store_bench.REVISIONS} revisions, "
        f"{s['figure_rows']} figure rows; baseline plain SELECT of the same sections "
        f"{s['baseline_ms']:.1f} ms"
    )
    print(f"{'measure':28s} {'x baseline':>10s}")
    for k in ("targets_cold", "targets_warm", "csv_export", "report_week"):
        print(f"{k:28s} {s[k]:10.2f}")
    print(
        f"report week: {s['report_new']} new installments, {s['report_target_changes']} target changes"
    )
    if not pages or not s["figure_rows"]:
        print("bench: nothing measured", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
