"""List-page link extraction on hostile sizes: `pagination_links` and `series_links` vs lxml.

    python bench/links.py [--quick] [--reps 5]

A generated list page holds N article links in the list area and N numbered page links in the
pagination bar (a hostile list: real ones have ~20 items and ~10 page links). Each row is the
median of `--reps` runs of each function on the same page, divided by the median time lxml takes
to parse that page (`lxml.html.fromstring`), measured in the same run: a linear extractor keeps
its ratio flat as N grows, a quadratic one grows with N.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lxml.html  # noqa: E402

from crawler.links import pagination_links, series_links  # noqa: E402

BASE = "http://www.chinahightech.com/html/hotnews/yaowen/"


def list_page(n: int) -> str:
    """A list page with n article links (every 10th a series title) and n pagination links."""
    items = "".join(
        f'<li><a href="/html/hotnews/yaowen/2024/0101/{i}.html">'
        + (f"国家高新区密集部署 2024年这样干！{i}" if i % 10 == 0 else f"要闻 {i}")
        + "</a><span>2024-01-01</span></li>"
        for i in range(n)
    )
    pages = "".join(f'<a href="/html/hotnews/yaowen/{i}.html">{i}</a>' for i in range(2, n + 2))
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>要闻</title></head><body>"
        f'<div class="nav"><a href="/">首页</a></div><div class="list-a"><ul>{items}</ul></div>'
        f'<div id="pages">{pages}<a href="/html/hotnews/yaowen/2.html">下一页</a></div>'
        "</body></html>"
    )


def median_time(fn: Callable[[], object], reps: int) -> float:
    times = []
    for _ in range(reps):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small pages, 3 reps (the test's mode)")
    ap.add_argument("--reps", type=int, default=None)
    args = ap.parse_args(argv)
    sizes = [100, 1000] if args.quick else [100, 1000, 10000]
    reps = args.reps or (3 if args.quick else 5)
    print("| links | page | lxml parse | pagination_links | ratio | series_links | ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        html = list_page(n)
        found = pagination_links(html, BASE)
        assert len(found) == n, (n, len(found))  # every numbered page, once, in order
        base = median_time(lambda html=html: lxml.html.fromstring(html), reps)
        pag = median_time(lambda html=html: pagination_links(html, BASE), reps)
        ser = median_time(lambda html=html: list(series_links(html, BASE)), reps)
        print(
            f"| {n:,} | {len(html.encode()) / 1024:,.0f} KiB | {base * 1000:.1f} ms "
            f"| {pag * 1000:.1f} ms | {pag / base:.1f}x | {ser * 1000:.1f} ms | {ser / base:.1f}x |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
