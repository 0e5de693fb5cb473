"""Crawl benchmark: a generated mirror of N articles on 127.0.0.1, politeness delays off.

    python bench/crawl.py [--articles 2000] [--reps 3] [--db URL] [--quick]

Measures, in one run and as ratios against anchors measured in the same run (medians of --reps):

- the full crawl against a bare Scrapy spider (no pipeline, no store) that asks for the same URLs
  the full crawl asked for (robots.txt, list pages, articles) and so downloads the same bytes:
  pages per second and CPU seconds (user + system of the child process, imports included). The
  bare spider runs Scrapy with chihwatch's Scrapy settings (`anchor_settings`: concurrency, items
  in parallel, timeouts, checks switched off), so the ratio is the cost of chihwatch's own code;
  a second bare run with Scrapy's default settings is the issue's anchor (Scrapy's default of 100
  items in parallel costs it ~15 % more CPU), and "bare spider + parse alone" is the floor of any
  crawl that parses every page. The store is created before the full crawl, untimed (as
  `chihwatch db init` does once in a store's life);
- an unchanged re-crawl of the same mirror that asks for every known page again (the revisit
  policy off, `--revisit-after 0`): its time, CPU and bytes as shares of the full crawl's (bytes
  <= 2 %, no new revisions), and against the bare spider sending the re-crawl's own requests with
  the conditional headers it sent (so the server answers 304 again): the floor of any re-crawl
  that asks for every URL again;
- the same unchanged re-crawl with the product's revisit policy (crawler/settings.py: pages
  checked within a day rest): its requests, time and CPU as shares of the full crawl's (target:
  time <= 10 %);
- `Store.reparse()` over the stored pages against parse alone on the same stored bytes (pages/s).

Bytes are counted by the server: status lines, headers and bodies of every response.
`--quick` (run by tests/test_benches.py): 100 articles, one repetition.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chihwatch.demo.mirror import MirrorServer  # noqa: E402
from chihwatch.durations import format_duration  # noqa: E402
from crawler.run import CrawlSummary, crawl_in_subprocess, user_agent  # noqa: E402
from crawler.settings import CHIHWATCH_REVISIT_AFTER as REVISIT_AFTER  # noqa: E402
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


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _crawl(
    db_url: str, server: MirrorServer, settings: dict[str, Any]
) -> tuple[CrawlSummary, float, float, int, int]:
    first = len(server.request_log)
    cpu = _child_cpu()
    began = time.monotonic()
    summary = crawl_in_subprocess(
        db_url,
        [server.url + "/html/hotnews/yaowen/", server.url + "/yaowen/node_479.html"],
        timeout=3600,
        settings=settings,
    )
    wall = time.monotonic() - began
    cpu = _child_cpu() - cpu
    log = server.log_since(first)
    return summary, wall, cpu, sum(e.bytes + e.header_bytes for e in log), len(log)


# -- the anchor: a bare Scrapy spider --------------------------------------------------------------

BARE_CHILD = "--bare-child"


# What of crawler/settings.py is not Scrapy tuning the bare spider shares: chihwatch's own settings,
# its middlewares, pipeline, HTTP cache and robots.txt handling (robots.txt is one of the URLs).
_NOT_SHARED = ("CHIHWATCH_", "HTTPCACHE_", "ROBOTSTXT_")
_NOT_SHARED_NAMES = frozenset(
    "BOT_NAME SPIDER_MODULES NEWSPIDER_MODULE DOWNLOADER_MIDDLEWARES ITEM_PIPELINES POLITE_OFF "
    "USER_AGENT".split()
)


def anchor_settings() -> dict[str, Any]:
    """Scrapy as chihwatch configures it (crawler/settings.py: concurrency, items in parallel,
    timeouts, retries, stats and checks switched off), without chihwatch's own code."""
    from crawler import settings as ours

    return {
        k: getattr(ours, k)
        for k in dir(ours)
        if k.isupper() and not k.startswith(_NOT_SHARED) and k not in _NOT_SHARED_NAMES
    }


def _bare_child(url_file: str, out_file: str, scrapy_settings: str = "chihwatch") -> int:
    """Run in a child process: send every request of url_file ([url, headers] pairs) with
    Scrapy, nothing else; with chihwatch's Scrapy settings, or with Scrapy's defaults
    (`scrapy_settings="default"`, the issue's anchor)."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    requests = json.loads(Path(url_file).read_text())
    pages = [0]

    class Bare(scrapy.Spider):
        name = "bare"

        async def start(self):  # type: ignore[override]
            for u, headers in requests:
                yield scrapy.Request(
                    u,
                    headers=headers,
                    callback=self.parse,
                    dont_filter=True,
                    meta={"handle_httpstatus_all": True},
                )

        def parse(self, response: Any) -> None:
            pages[0] += 1

    settings = anchor_settings() if scrapy_settings == "chihwatch" else {}
    settings.update({k: v for k, v in POLITE_OFF.items() if not k.startswith("CHIHWATCH_")})
    settings.update(
        {
            "USER_AGENT": user_agent(None),
            "ROBOTSTXT_OBEY": False,  # robots.txt is one of the URLs
            "LOG_LEVEL": "WARNING",
            "COOKIES_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            "HTTPCACHE_ENABLED": False,
        }
    )
    began = time.monotonic()
    settings["LOG_INSTALL_ROOT_HANDLER"] = False
    process = CrawlerProcess(settings)
    process.crawl(Bare)
    process.start()
    Path(out_file).write_text(json.dumps({"seconds": time.monotonic() - began, "pages": pages[0]}))
    return 0


# The validators a re-crawl sends: replayed as they were sent, so the server answers 304 again.
CONDITIONAL = ("If-None-Match", "If-Modified-Since")


def _requests(server: MirrorServer, first: int, count: int) -> list[tuple[str, dict[str, str]]]:
    """The requests the server got (from index `first`): URL and conditional headers."""
    out = []
    for e in server.request_log[first : first + count]:
        sent = {k.lower(): v for k, v in e.headers.items()}
        out.append(
            (server.url + e.path, {h: sent[h.lower()] for h in CONDITIONAL if h.lower() in sent})
        )
    return out


def _bare(
    requests: list[tuple[str, dict[str, str]]],
    tmp: Path,
    server: MirrorServer,
    scrapy_settings: str = "chihwatch",
) -> tuple[float, float, int, int]:
    """(crawl seconds, CPU seconds, bytes, responses) of the bare spider sending `requests`."""
    url_file, out_file = tmp / "bare-urls.json", tmp / "bare-out.json"
    url_file.write_text(json.dumps(requests))
    first = len(server.request_log)
    cpu = _child_cpu()
    subprocess.run(
        [sys.executable, __file__, BARE_CHILD, str(url_file), str(out_file), scrapy_settings],
        check=True,
        timeout=3600,
    )
    cpu = _child_cpu() - cpu
    log = server.log_since(first)
    out = json.loads(out_file.read_text())
    return out["seconds"], cpu, sum(e.bytes + e.header_bytes for e in log), int(out["pages"])


# -- reparse against parse alone -------------------------------------------------------------------


def _reparse(db_url: str) -> tuple[float, float, int, dict[str, int]]:
    """(reparse seconds, parse-only seconds, pages, reparse counts) over the stored pages."""
    from sqlalchemy import select

    import parsers
    from storage import open_store
    from storage.models import Blob, Fetch, Page
    from storage.store import decompress

    store = open_store(db_url)
    try:
        # The same inputs reparse gives the parser: bytes, URL and the stored Content-Type.
        last_ctype = (
            select(Fetch.content_type)
            .where(Fetch.page_id == Page.id, Fetch.blob_sha == Page.last_blob_sha)
            .order_by(Fetch.fetched_at.desc())
            .limit(1)
            .scalar_subquery()
        )
        with store.engine.connect() as c:
            rows = c.execute(
                select(Page.url, Blob.data, Blob.compression, last_ctype).join(
                    Blob, Blob.sha256 == Page.last_blob_sha
                )
            ).all()
        bodies = [
            (url, decompress(bytes(data), comp), {"content-type": ct} if ct else {})
            for url, data, comp, ct in rows
        ]

        def parse_all() -> float:
            t = time.perf_counter()
            for url, body, headers in bodies:
                try:
                    parsers.parse(body, url, headers)
                except Exception:  # noqa: BLE001,S112  # what reparse counts as an error
                    continue
            return time.perf_counter() - t

        parse_all()  # warm: the parser's tables and caches are loaded before either is timed
        parse_s = parse_all()
        t = time.perf_counter()
        counts = store.reparse()
        reparse_s = time.perf_counter() - t
        parse_s = min(parse_s, parse_all())  # the anchor at its best, before and after
    finally:
        store.close()
    return reparse_s, parse_s, len(bodies), counts


def _rep(args: argparse.Namespace, tmp: Path, site: Path, rep: int) -> dict[str, Any]:
    os.environ["CHIHWATCH_HOME"] = str(tmp / f"home{rep}")  # HTTP cache of list pages goes here
    db_url = args.db or f"sqlite:///{tmp / f'bench{rep}.db'}"
    lists = -(-args.articles // 2 // args.per_page) + 1
    settings = {
        **POLITE_OFF,
        "CHIHWATCH_MAX_LIST_PAGES": lists + 5,
        "CHIHWATCH_CLOCK_OFFSET": args.clock_offset,
    }
    every_page = {**settings, "CHIHWATCH_REVISIT_AFTER": 0}
    # The store is created before the full crawl is timed, as `chihwatch db init` or the daemon's
    # first crawl does once in a store's life: the crawls measure crawling, not the migrations.
    from storage import open_store

    t = time.monotonic()
    open_store(db_url).close()
    created_s = time.monotonic() - t
    with MirrorServer(site, state="state1") as server:
        full, full_wall, full_cpu, full_bytes, full_reqs = _crawl(db_url, server, settings)
        urls = [(u, {}) for u, _h in _requests(server, 0, full_reqs)]
        again, again_wall, again_cpu, again_bytes, again_reqs = _crawl(db_url, server, every_page)
        statuses: dict[int, int] = {}
        for e in server.request_log[full_reqs:]:
            statuses[e.status] = statuses.get(e.status, 0) + 1
        conditional = _requests(server, full_reqs, again_reqs)
        rested, rested_wall, rested_cpu, rested_bytes, rested_reqs = _crawl(
            db_url, server, settings
        )
        bare_s, bare_cpu, bare_bytes, bare_pages = _bare(urls, tmp, server)
        default_s, default_cpu, _b, default_pages = _bare(urls, tmp, server, "default")
        first = len(server.request_log)
        bare304_s, bare304_cpu, _b, bare304_pages = _bare(conditional, tmp, server)
        bare304_statuses = sorted({e.status for e in server.log_since(first)})
    reparse_s, parse_s, stored, counts = _reparse(db_url)
    return {
        "full": full,
        "full_wall": full_wall,
        "full_cpu": full_cpu,
        "full_bytes": full_bytes,
        "full_reqs": full_reqs,
        "again": again,
        "again_wall": again_wall,
        "again_cpu": again_cpu,
        "again_bytes": again_bytes,
        "again_reqs": again_reqs,
        "statuses": statuses,
        "rested": rested,
        "rested_wall": rested_wall,
        "rested_cpu": rested_cpu,
        "rested_bytes": rested_bytes,
        "rested_reqs": rested_reqs,
        "bare_s": bare_s,
        "bare_cpu": bare_cpu,
        "bare_bytes": bare_bytes,
        "bare_pages": bare_pages,
        "default_s": default_s,
        "default_cpu": default_cpu,
        "default_pages": default_pages,
        "created_s": created_s,
        "bare304_s": bare304_s,
        "bare304_cpu": bare304_cpu,
        "bare304_pages": bare304_pages,
        "bare304_statuses": bare304_statuses,
        "reparse_s": reparse_s,
        "parse_s": parse_s,
        "stored": stored,
        "reparse_counts": counts,
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [BARE_CHILD]:
        return _bare_child(*argv[1:4])
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=None, help="default 2000 (--quick: 100)")
    ap.add_argument("--per-page", type=int, default=20, help="items per list page")
    ap.add_argument("--reps", type=int, default=None, help="repetitions (default 3, --quick 1)")
    ap.add_argument("--quick", action="store_true", help="100 articles, one repetition")
    ap.add_argument("--db", default=None, help="database URL (default: a temporary SQLite file)")
    args = ap.parse_args(argv)
    args.articles = args.articles or (100 if args.quick else 2000)
    reps = args.reps or (1 if args.quick else 3)
    if args.db and reps > 1:
        ap.error("--db takes one repetition (--reps 1): each repetition needs an empty store")

    with tempfile.TemporaryDirectory(prefix="chihwatch-bench-") as tmp_s:
        tmp = Path(tmp_s)
        site = tmp / "site"
        t = time.monotonic()
        pages = _builder().generate_site(site, args.articles, per_page=args.per_page)
        # The generated series runs from 2000 on, 40 installments a year (to 2049 at 2,000): the
        # crawls' clock is set to the January after the newest, so that, as on the real site, the
        # installments are old rather than published "in the future" (which the revisit policy
        # treats as fresh: due on every crawl).
        newest = max(int(p.published[:4]) for p in pages)
        args.clock_offset = (
            datetime(newest + 1, 1, 1, tzinfo=UTC) - datetime.now(UTC)
        ).total_seconds()
        print(f"generated {args.articles} articles in {time.monotonic() - t:.1f}s", file=sys.stderr)
        runs = []
        for rep in range(reps):
            runs.append(_rep(args, tmp, site, rep))
            r = runs[-1]
            print(
                f"rep {rep + 1}/{reps}: full {r['full'].seconds:.1f}s, bare {r['bare_s']:.1f}s, "
                f"re-crawl {r['again'].seconds:.1f}s (every page) / {r['rested'].seconds:.1f}s "
                f"(revisit policy), reparse {r['reparse_s']:.1f}s",
                file=sys.stderr,
            )

    def med(f: Any) -> float:
        return statistics.median(f(r) for r in runs)

    def parse_floor(r: dict[str, Any]) -> float:
        """The bare spider's CPU plus parsing the full crawl's pages alone."""
        return r["bare_cpu"] + r["parse_s"] * r["full"].fetched / r["stored"]

    last = runs[-1]
    full, again, rested = last["full"], last["again"], last["rested"]
    full_pps = med(lambda r: r["full"].fetched / r["full"].seconds)
    bare_pps = med(lambda r: r["full"].fetched / r["bare_s"])
    cpu_ratio = med(lambda r: r["full_cpu"] / r["bare_cpu"])
    again_share = med(lambda r: r["again"].seconds / r["full"].seconds)
    again_cpu = med(lambda r: r["again_cpu"] / r["bare_cpu"])
    reparse_pps = med(lambda r: r["stored"] / r["reparse_s"])
    parse_pps = med(lambda r: r["stored"] / r["parse_s"])
    rows = [
        ("articles in the mirror", f"{args.articles}", f"{reps} repetition(s), medians"),
        (
            "full crawl: articles stored",
            f"{full.fetched} ({full.new_installments} new installments)",
            "",
        ),
        ("full crawl: requests", f"{last['full_reqs']}", "the bare spider asks for the same"),
        (
            "full crawl: time (crawl / wall)",
            f"{med(lambda r: r['full'].seconds):.1f}s / {med(lambda r: r['full_wall']):.1f}s",
            "",
        ),
        (
            "full crawl: store created before it",
            f"{med(lambda r: r['created_s']):.2f}s",
            "not timed: an empty store at the code's schema, as `chihwatch db init` makes",
        ),
        (
            "bare Scrapy spider: pages per second",
            f"{bare_pps:.1f}",
            "anchor (articles / its time); Scrapy with chihwatch's settings, none of its code",
        ),
        (
            "full crawl: pages per second",
            f"{full_pps:.1f}",
            f"{med(lambda r: r['full'].fetched / r['full'].seconds * r['bare_s'] / r['full'].fetched):.2f}x the bare spider (target >= 0.8x)",
        ),
        (
            "full crawl: CPU (child)",
            f"{med(lambda r: r['full_cpu']):.1f}s",
            f"{cpu_ratio:.2f}x the bare spider's {med(lambda r: r['bare_cpu']):.1f}s (target <= 1.5x)",
        ),
        (
            "bare spider, Scrapy's default settings",
            f"{med(lambda r: r['full'].fetched / r['default_s']):.1f} pages/s, "
            f"CPU {med(lambda r: r['default_cpu']):.1f}s",
            "the issue's anchor: the full crawl is "
            f"{med(lambda r: r['default_s'] / r['full'].seconds):.2f}x its pages/s and "
            f"{med(lambda r: r['full_cpu'] / r['default_cpu']):.2f}x its CPU",
        ),
        (
            "bare spider + parse alone: CPU",
            f"{med(parse_floor):.1f}s",
            "what a crawl that parses every page cannot go below; the full crawl is "
            f"{med(lambda r: r['full_cpu'] / parse_floor(r)):.2f}x it",
        ),
        (
            "full crawl: bytes",
            f"{last['full_bytes'] / 1e6:.2f} MB",
            f"bare spider {last['bare_bytes'] / 1e6:.2f} MB",
        ),
        ("full crawl: peak memory (child RSS)", f"{full.peak_rss_kb / 1024:.0f} MiB", ""),
        (
            "re-crawl, every page: requests",
            f"{last['again_reqs']}",
            ", ".join(f"{n}x{s}" for s, n in sorted(last["statuses"].items())),
        ),
        (
            "re-crawl, every page: bytes",
            f"{last['again_bytes'] / 1e3:.1f} kB",
            f"{100 * last['again_bytes'] / last['full_bytes']:.2f}% of full (target <= 2%)",
        ),
        (
            "re-crawl, every page: time (crawl)",
            f"{med(lambda r: r['again'].seconds):.2f}s",
            f"{100 * again_share:.1f}% of full (at its floor: the anchor below)",
        ),
        (
            "re-crawl, every page: time (wall)",
            f"{med(lambda r: r['again_wall']):.2f}s",
            f"{100 * med(lambda r: r['again_wall'] / r['full_wall']):.1f}% of full",
        ),
        (
            "re-crawl, every page: CPU (child)",
            f"{med(lambda r: r['again_cpu']):.1f}s",
            f"{again_cpu:.2f}x the bare spider's full download",
        ),
        (
            "bare spider, the re-crawl's conditional requests: time",
            f"{med(lambda r: r['bare304_s']):.2f}s",
            "anchor: the same URLs and If-None-Match/If-Modified-Since, answered "
            + "/".join(str(s) for s in last["bare304_statuses"])
            + f"; {100 * med(lambda r: r['bare304_s'] / r['full'].seconds):.1f}% of the full crawl",
        ),
        (
            "re-crawl, every page, against that anchor",
            f"{med(lambda r: r['again'].seconds / r['bare304_s']):.2f}x its time",
            f"{med(lambda r: r['again_cpu'] / r['bare304_cpu']):.2f}x its CPU "
            f"({med(lambda r: r['bare304_cpu']):.1f}s)",
        ),
        (
            "re-crawl, every page: new revisions",
            f"{again.new_revisions + again.new_installments}",
            "target 0",
        ),
        (
            "re-crawl, revisit policy: requests",
            f"{last['rested_reqs']}",
            f"robots.txt and list pages; {rested.not_due} known pages not due (checked within "
            f"{format_duration(REVISIT_AFTER)}), {rested.fetched + rested.not_modified} asked",
        ),
        (
            "re-crawl, revisit policy: time (crawl / wall)",
            f"{med(lambda r: r['rested'].seconds):.2f}s / {med(lambda r: r['rested_wall']):.2f}s",
            f"{100 * med(lambda r: r['rested'].seconds / r['full'].seconds):.1f}% of full "
            f"(target <= 10%); wall {100 * med(lambda r: r['rested_wall'] / r['full_wall']):.1f}%",
        ),
        (
            "re-crawl, revisit policy: CPU (child)",
            f"{med(lambda r: r['rested_cpu']):.1f}s",
            f"{100 * med(lambda r: r['rested_cpu'] / r['full_cpu']):.1f}% of the full crawl's; "
            f"bytes {100 * med(lambda r: r['rested_bytes'] / r['full_bytes']):.2f}% of full",
        ),
        (
            "re-crawl, revisit policy: new revisions",
            f"{rested.new_revisions + rested.new_installments}",
            "target 0",
        ),
        (
            "re-crawl, every page: peak memory (child RSS)",
            f"{again.peak_rss_kb / 1024:.0f} MiB",
            "",
        ),
        (
            "parse alone: pages per second",
            f"{parse_pps:.1f}",
            f"anchor ({last['stored']} stored bodies)",
        ),
        (
            "reparse: pages per second",
            f"{reparse_pps:.1f}",
            f"{med(lambda r: r['parse_s'] / r['reparse_s']):.2f}x parse alone (target >= 0.7x); "
            + ", ".join(f"{k} {v}" for k, v in last["reparse_counts"].items()),
        ),
    ]
    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    print(f"| {'measure':<{width}} | {'value':<{vwidth}} | note |")
    print(f"|{'-' * (width + 2)}|{'-' * (vwidth + 2)}|------|")
    for name, value, note in rows:
        print(f"| {name:<{width}} | {value:<{vwidth}} | {note} |")
    ok = all(
        r["again_bytes"] <= 0.02 * r["full_bytes"]
        and r["again"].new_revisions == 0
        and r["again"].new_installments == 0
        and r["full"].fetched > 0
        and r["bare_pages"] == r["full_reqs"]
        and r["default_pages"] == r["full_reqs"]
        and r["bare304_pages"] == r["again_reqs"]
        and r["rested"].not_due == r["full"].fetched  # every known page rested
        and r["rested"].new_revisions + r["rested"].new_installments == 0
        for r in runs
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
