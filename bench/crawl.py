"""Crawl benchmark: a generated mirror of N articles on 127.0.0.1, politeness delays off.

    python bench/crawl.py [--articles 2000] [--db URL]

Measures, in one run: the full crawl (pages per second, bytes, peak memory of the crawl child) and
an unchanged re-crawl of the same mirror, whose bytes and time are printed as ratios of the full
crawl's (targets: bytes <= 2 %, no new revisions). Bytes are counted by the server: status lines,
headers and bodies of every response, robots.txt and list pages included.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chihwatch.mirror import MirrorServer  # noqa: E402
from crawler.run import CrawlSummary, crawl_in_subprocess  # noqa: E402
from crawler.settings import POLITE_OFF  # noqa: E402


def _builder() -> Any:
    spec = importlib.util.spec_from_file_location(
        "mirror_build", ROOT / "fixtures" / "site" / "build.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["mirror_build"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _crawl(
    db_url: str, server: MirrorServer, settings: dict[str, Any]
) -> tuple[CrawlSummary, float, int, int]:
    first = len(server.request_log)
    began = time.monotonic()
    summary = crawl_in_subprocess(
        db_url,
        [server.url + "/html/hotnews/yaowen/", server.url + "/yaowen/node_479.html"],
        timeout=3600,
        settings=settings,
    )
    wall = time.monotonic() - began
    log = server.log_since(first)
    return summary, wall, sum(e.bytes + e.header_bytes for e in log), len(log)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=2000)
    ap.add_argument("--per-page", type=int, default=20, help="items per list page")
    ap.add_argument("--db", default=None, help="database URL (default: a temporary SQLite file)")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="chihwatch-bench-") as tmp:
        os.environ["CHIHWATCH_HOME"] = str(Path(tmp) / "home")  # HTTP cache of list pages goes here
        site = Path(tmp) / "site"
        t = time.monotonic()
        _builder().generate_site(site, args.articles, per_page=args.per_page)
        print(f"generated {args.articles} articles in {time.monotonic() - t:.1f}s", file=sys.stderr)
        db_url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        lists = -(-args.articles // 2 // args.per_page) + 1
        settings = {**POLITE_OFF, "CHIHWATCH_MAX_LIST_PAGES": lists + 5}
        with MirrorServer(site, state="state1") as server:
            full, full_wall, full_bytes, full_reqs = _crawl(db_url, server, settings)
            again, again_wall, again_bytes, again_reqs = _crawl(db_url, server, settings)
            statuses: dict[int, int] = {}
            for e in server.request_log[full_reqs:]:
                statuses[e.status] = statuses.get(e.status, 0) + 1

    rows = [
        ("articles in the mirror", f"{args.articles}", ""),
        (
            "full crawl: articles stored",
            f"{full.fetched} ({full.new_installments} new installments)",
            "",
        ),
        ("full crawl: requests", f"{full_reqs}", ""),
        ("full crawl: time (crawl / wall)", f"{full.seconds:.1f}s / {full_wall:.1f}s", ""),
        (
            "full crawl: pages per second",
            f"{full.fetched / full.seconds:.1f}",
            "articles / crawl time",
        ),
        ("full crawl: bytes", f"{full_bytes / 1e6:.2f} MB", ""),
        ("full crawl: peak memory (child RSS)", f"{full.peak_rss_kb / 1024:.0f} MiB", ""),
        (
            "re-crawl: requests",
            f"{again_reqs}",
            ", ".join(f"{n}x{s}" for s, n in sorted(statuses.items())),
        ),
        (
            "re-crawl: bytes",
            f"{again_bytes / 1e3:.1f} kB",
            f"{100 * again_bytes / full_bytes:.2f}% of full (target <= 2%)",
        ),
        (
            "re-crawl: time (crawl)",
            f"{again.seconds:.1f}s",
            f"{100 * again.seconds / full.seconds:.1f}% of full",
        ),
        (
            "re-crawl: time (wall)",
            f"{again_wall:.1f}s",
            f"{100 * again_wall / full_wall:.1f}% of full",
        ),
        ("re-crawl: new revisions", f"{again.new_revisions + again.new_installments}", "target 0"),
        ("re-crawl: peak memory (child RSS)", f"{again.peak_rss_kb / 1024:.0f} MiB", ""),
    ]
    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    print(f"| {'measure':<{width}} | {'value':<{vwidth}} | note |")
    print(f"|{'-' * (width + 2)}|{'-' * (vwidth + 2)}|------|")
    for name, value, note in rows:
        print(f"| {name:<{width}} | {value:<{vwidth}} | {note} |")
    ok = (
        again_bytes <= 0.02 * full_bytes
        and again.new_revisions == 0
        and again.new_installments == 0
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
