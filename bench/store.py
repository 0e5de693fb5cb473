"""Benchmark of the store: report for one week, one diff, and growth on re-storing unchanged pages.

    python bench/store.py [--scale 1.0] [--backend sqlite --backend postgres] [--pg-url URL]
                          [--quick]

Two generated stores, bulk-inserted with Core, on each backend:

- "realistic": the series as it runs: 40 installments a year published in a burst of 8 weeks
  (about 5 a week), 12 zones each, 3 revisions, 8 years (320 installments, ~11,500 zone
  sections); the week reported is in the last year's burst;
- "synthetic": 10,000 installments x 5 revisions x 3 zones (x --scale), 5 new a day (the week has
  35 new installments), for scaling.

Times are medians, reported as ratios against a baseline doing the same kind of work on the same
database in the same run: selecting the reported week's revisions' rows (revision, installment and
section text of every revision created in the week and of the installments confirmed in it). A
`count(*)` baseline grows with the store while the report does not, and misleads across backends.
The last table puts PostgreSQL's report next to SQLite's on the same store (target <= 1.5x),
the two timed alternately run by run: measured minutes apart, a shared machine's load moved that
ratio between 0.7x and 2.6x for the same code.

Hostile sizes (issue 10): a real installment page (fixtures/pages) whose first zone is blown up
to 2,000 and 6,000 paragraphs, then every one of them edited. Rows: `diff` of the two revisions
and the weekly report (data + HTML) showing the edit, as ratios to parsing the same page
(CPU time, medians, same run).

`--quick` (run by tests/test_benches.py): the realistic store and 1% of the synthetic one, SQLite
only unless --backend is given, and 200 / 600 paragraphs for the hostile rows.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import reports  # noqa: E402
from parsers import parse  # noqa: E402
from storage import open_store  # noqa: E402
from storage.models import Blob, Fetch, Installment, Page, Revision, Section  # noqa: E402
from storage.store import Store, compress  # noqa: E402

REVISIONS = 5  # synthetic store
ZONES_PER_INSTALLMENT = 3
PER_DAY = 5  # new installments per day: ~35 in the reported week
START = datetime(2019, 1, 1, 1, 0)
REAL_YEARS, REAL_PER_YEAR, REAL_ZONES, REAL_REVISIONS = 8, 40, 12, 3  # realistic store
CITIES = (
    "威海 天津 兰州 昆明 玉溪 青岛 无锡 南昌 洛阳 苏州 杭州 合肥 武汉 长沙 成都 西安 郑州 济南 "
    "沈阳 大连 长春 哈尔滨 石家庄 保定 太原 包头 南京 常州 宁波 温州 厦门 福州 泉州 深圳 广州 "
    "珠海 佛山 东莞 中山 惠州 南宁 桂林 海口 贵阳 重庆 绵阳 宝鸡 银川 西宁 乌鲁木齐 拉萨 呼和浩特"
).split()
ZONES = [c + "高新区" for c in CITIES]
SENTENCES = [
    "会议提出,{y}年,{z}经济社会发展主要目标是:固定资产投资增长{a}%,规模以上工业产值增长{b}%。",
    "力争{y}年生物医药产业完成产值{c}亿元以上,新落地过10亿元项目{d}个以上。",
    "要坚定不移抓招商,开展“招引质效提振”行动,持之以恒、常抓不懈,加强招商工作统筹。",
    "持续打造创新高地,厚植发展新质生产力,年内投产项目{d}个以上,一季度开工率超过{b}0%。",
]


def _paragraphs(rng: random.Random, year: int, zone: str, rev: int) -> list[str]:
    vals = {
        "y": year,
        "z": zone,
        "a": rng.randint(3, 9),
        "b": rng.randint(5, 9),
        "c": rng.randint(10, 200),
        "d": rng.randint(5, 40),
    }
    paras = [s.format(**vals) for s in rng.sample(SENTENCES, 2)]
    if rev:  # each later revision edits one figure of the first paragraph
        paras[0] = paras[0].replace(str(vals["y"]) + "年", f"{vals['y']}年(第{rev}次修订)", 1)
    return paras


def _body(inst: int, rev: int) -> bytes:
    """Deterministic page bytes (so the growth test can send exactly the stored bytes again)."""
    chrome = "<div class=rank>排行 " + " ".join(str(inst * 7 + k) for k in range(40)) + "</div>"
    return (
        f"<html><head><title>installment {inst} revision {rev}</title></head><body>"
        f"{chrome}<div class=content>{'正文' * 200}{inst}-{rev}</div></body></html>"
    ).encode()


def _chunks(rows: list[dict[str, Any]], n: int = 5000) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), n):
        yield rows[i : i + n]


def synthetic_firsts(installments: int) -> list[datetime]:
    """5 new installments a day, from 2019 on."""
    return [
        START + timedelta(days=(i - 1) // PER_DAY, hours=(i - 1) % PER_DAY)
        for i in range(1, installments + 1)
    ]


def realistic_firsts() -> list[datetime]:
    """40 a year in a burst of 8 weeks from early February (how the series is published)."""
    return [
        datetime(2017 + y, 2, 1, 9, 0) + timedelta(hours=k * 8 * 7 * 24 // REAL_PER_YEAR)
        for y in range(REAL_YEARS)
        for k in range(REAL_PER_YEAR)
    ]


def generate(
    engine: Engine,
    firsts: int | list[datetime],
    zones_per: int = ZONES_PER_INSTALLMENT,
    revisions: int = REVISIONS,
) -> list[str]:
    """Bulk-insert the store: ids assigned here, latest-revision pointers set in one UPDATE.
    Installment i (from 1) is first seen at firsts[i - 1] (an int: the synthetic schedule of that
    many, what bench/figures.py uses); returns the page URLs."""
    if isinstance(firsts, int):
        firsts = synthetic_firsts(firsts)
    rng = random.Random(42)
    blobs, pages, fetches, insts, revs, secs = [], [], [], [], [], []
    per_year: dict[int, int] = {}
    sec_id = 0
    urls = []
    for i, first in enumerate(firsts, start=1):
        year = first.year
        per_year[year] = per_year.get(year, 0) + 1
        number = per_year[year]
        zones = rng.sample(ZONES, zones_per)
        url = f"http://www.chinahightech.com/html/hotnews/yaowen/{year}/{i}.html"
        urls.append(url)
        last_sha = ""
        for k in range(revisions):
            rid = (i - 1) * revisions + k + 1
            at = first + timedelta(days=2 * k)
            body = _body(i, k)
            sha = hashlib.sha256(body).hexdigest()
            last_sha = sha
            blobs.append(
                {"sha256": sha, "size": len(body), "compression": "zlib", "data": compress(body)}
            )
            fetches.append(
                {
                    "id": rid,
                    "page_id": i,
                    "fetched_at": at,
                    "status": 200,
                    "blob_sha": sha,
                    "content_type": "text/html; charset=utf-8",
                }
            )
            paras = {z: _paragraphs(rng, year, z, k) for z in zones}
            chars = sum(len(p) for ps in paras.values() for p in ps)
            revs.append(
                {
                    "id": rid,
                    "installment_id": i,
                    "seq": k + 1,
                    "created_at": at,
                    "cause": "site",
                    "fetch_id": rid,
                    "parser_version": "bench",
                    "body_hash": hashlib.sha256(repr(paras).encode()).hexdigest(),
                    "body_chars": chars,
                    "title": f"国家高新区密集部署 {year}年这样干!{number}",
                    "published": first.isoformat() + "+08:00",
                    "template": "chih-2019",
                    "confidence": 0.95,
                    "intro": "连日来,多个国家高新区召开会议。",
                }
            )
            for pos, z in enumerate(zones):
                sec_id += 1
                secs.append(
                    {
                        "id": sec_id,
                        "revision_id": rid,
                        "position": pos,
                        "zone": z,
                        "heading": "",
                        "text": "\n".join(paras[z]),
                    }
                )
        last = first + timedelta(days=2 * (revisions - 1))
        pages.append(
            {
                "id": i,
                "url": url,
                "first_seen": first,
                "last_fetched": last,
                "status": 200,
                "last_blob_sha": last_sha,
                "good_blob_sha": last_sha,  # its last delivery was healthy
                "installment_id": None,
            }
        )
        insts.append(
            {
                "id": i,
                "series": "国家高新区密集部署",
                "year": year,
                "number": number,
                "title": f"国家高新区密集部署 {year}年这样干!{number}",
                "url": url,
                "published": first.isoformat() + "+08:00",
                "first_seen": first,
                "last_seen": last,
                # report_data announces an installment as new when its content is confirmed.
                "confirmed_at": first,
                "latest_revision_id": None,
            }
        )
    with engine.begin() as conn:
        for model, rows in (
            (Blob, blobs),
            (Installment, insts),
            (Page, pages),
            (Fetch, fetches),
            (Revision, revs),
            (Section, secs),
        ):
            for chunk in _chunks(rows):
                conn.execute(insert(model), chunk)
        conn.execute(text(f"UPDATE installments SET latest_revision_id = id * {revisions}"))
        conn.execute(text("UPDATE pages SET installment_id = id"))
        if engine.dialect.name == "postgresql":  # ids were given explicitly: move sequences on
            for table in ("pages", "fetches", "installments", "revisions", "sections", "events"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {table}))"
                    )
                )
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))  # planner statistics, as a long-lived database has them
        conn.commit()
    return urls


def median_time(fn: Callable[[], Any], runs: int) -> float:
    fn()  # warm caches once: every measurement below is of a warm database
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def db_bytes(engine: Engine) -> int:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            pc = conn.execute(text("PRAGMA page_count")).scalar() or 0
            fl = conn.execute(text("PRAGMA freelist_count")).scalar() or 0
            ps = conn.execute(text("PRAGMA page_size")).scalar() or 0
            return int((pc - fl) * ps)
        return int(
            conn.execute(
                text(
                    "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND c.relkind = 'r'"
                )
            ).scalar()
            or 0
        )


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() or 0)
            for t in (
                "blobs",
                "pages",
                "fetches",
                "installments",
                "revisions",
                "sections",
                "events",
            )
        }


WEEK_ROWS = text(
    "SELECT r.*, i.*, s.zone, s.heading, s.text FROM revisions r "
    "JOIN installments i ON i.id = r.installment_id "
    "JOIN sections s ON s.revision_id = r.id "
    "WHERE (r.created_at >= :lo AND r.created_at < :hi) "
    "OR (i.confirmed_at >= :lo AND i.confirmed_at < :hi AND r.id = i.latest_revision_id) "
    "ORDER BY r.id, s.position"
)


def bench(
    url: str, kind: str, firsts: list[datetime], zones_per: int, revisions: int
) -> dict[str, Any]:
    store: Store = open_store(url)
    engine = store.engine
    t = time.perf_counter()
    urls = generate(engine, firsts, zones_per, revisions)
    gen_s = time.perf_counter() - t
    installments = len(firsts)
    # The reported week: the middle of the store (synthetic), the last year's burst (realistic).
    mid = firsts[len(firsts) // 2] if kind == "synthetic" else firsts[-REAL_PER_YEAR // 2]
    mid = mid.replace(hour=0, minute=0)
    since, until = mid.replace(tzinfo=UTC), (mid + timedelta(days=7)).replace(tzinfo=UTC)
    lo, hi = since.replace(tzinfo=None), until.replace(tzinfo=None)

    def baseline() -> None:
        with engine.connect() as conn:
            conn.execute(WEEK_ROWS, {"lo": lo, "hi": hi}).all()

    data = store.report_data(since, until)
    queries = _count_queries(engine, lambda: store.report_data(since, until))
    base = median_time(baseline, 7)
    rep = median_time(lambda: store.report_data(since, until), 7)
    # By URL: the synthetic store numbers installments past what a YEAR-NUMBER ref accepts.
    ref = data["new_installments"][0]["url"]
    dif = median_time(lambda: store.diff(ref), 7)

    # Re-store unchanged pages (up to 1,000): exactly their last stored bytes, as a crawl would.
    n_again = min(1000, installments)
    before_bytes, before_counts = db_bytes(engine), counts(engine)
    again_at = max(firsts) + timedelta(days=30)
    t = time.perf_counter()
    for i in range(1, n_again + 1):
        res = store.record_response(
            urls[i - 1],
            status=200,
            headers={"Content-Type": "text/html"},
            body=_body(i, revisions - 1),
            fetched_at=again_at,
        )
        assert not res.blob_new and not res.revision_new, res
    again_s = time.perf_counter() - t
    after_bytes, after_counts = db_bytes(engine), counts(engine)
    store.close()
    grown = {
        k: after_counts[k] - before_counts[k]
        for k in after_counts
        if after_counts[k] != before_counts[k]
    }
    return {
        "backend": engine.dialect.name,
        "url": url,
        "period": (since, until),
        "kind": kind,
        "installments": installments,
        "revisions": installments * revisions,
        "sections": installments * revisions * zones_per,
        "generate_s": gen_s,
        "baseline_ms": base * 1000,
        "report_ms": rep * 1000,
        "report_week": rep / base,
        "report_queries": queries,
        "report_new": data["summary"]["new_installments"],
        "report_edited": data["summary"]["edited_installments"],
        "diff": dif / base,
        "restore_bytes": after_bytes - before_bytes,
        "restore_rows": grown,
        "restore_per_page_ms": again_s / n_again * 1000,
        "restore_vs_baseline": (again_s / n_again) / base,
        "n_again": n_again,
    }


def _count_queries(engine: Engine, fn: Callable[[], Any]) -> int:
    from sqlalchemy import event

    n = [0]

    def count(*_a: Any) -> None:
        n[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return n[0]


PAGE = Path(__file__).resolve().parent.parent / "fixtures" / "pages" / "chih2019-2024-05-utf8.html"
PAGE_URL = "http://www.chinahightech.com/html/hotnews/yaowen/2024/0206/5700517.html"


def hostile_page(n: int, edited: bool) -> bytes:
    """The saved 2024⑤ page with its first zone's paragraphs cycled up to n, each numbered; the
    edited copy changes the first figure of every one of them (or appends a clause if none)."""
    html = PAGE.read_text("utf-8")
    lines = html.split("\n")
    first_zone = next(k for k, line in enumerate(lines) if "威海高新区&nbsp;" in line)
    end = next(k for k, line in enumerate(lines) if "天津高新区&nbsp;" in line)
    body = [line[len("<p>&nbsp; &nbsp; ") : -len("</p>")] for line in lines[first_zone + 1 : end]]
    out = []
    for k in range(n):
        text = f"（{k + 1}）{body[k % len(body)]}"
        if edited:
            m = re.search(r"\d+(?=[%个家项亿])", text)
            text = (
                text[: m.start()] + str(int(m.group()) + 1) + text[m.end() :]
                if m
                else text.replace("。", ",确保按期完成。", 1)
            )
        out.append(f"<p>&nbsp; &nbsp; {text}</p>")
    return "\n".join(lines[: first_zone + 1] + out + lines[end:]).encode("utf-8")


def cpu_median(fn: Callable[[], Any], runs: int) -> float:
    fn()
    times = []
    for _ in range(runs):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return statistics.median(times)


def bench_hostile(sizes: list[int], runs: int) -> list[dict[str, Any]]:
    """diff and report of an installment whose n paragraphs were all edited, vs parsing it."""
    rows = []
    for n in sizes:
        old, new = hostile_page(n, False), hostile_page(n, True)
        with tempfile.TemporaryDirectory() as tmp:
            store = open_store(f"sqlite:///{tmp}/hostile.db")
            t0 = datetime(2024, 2, 6, 1, 0, tzinfo=UTC)
            for body, at in ((old, t0), (new, t0 + timedelta(days=8))):
                res = store.record_response(
                    PAGE_URL,
                    status=200,
                    headers={"Content-Type": "text/html; charset=utf-8"},
                    body=body,
                    fetched_at=at,
                )
                assert res.revision_new and res.suspect is None, res
            since, until = t0 + timedelta(days=7), t0 + timedelta(days=14)
            d = store.diff("2024-5")
            changed = sum(c["kind"] == "changed" for c in d["changes"])
            parse_s = cpu_median(lambda: parse(new, PAGE_URL), runs)  # noqa: B023
            diff_s = cpu_median(lambda: store.diff("2024-5"), runs)  # noqa: B023
            report_s = cpu_median(
                lambda: reports.render(store.report_data(since, until), "html"),  # noqa: B023
                runs,
            )
            store.close()
        rows.append(
            {
                "paragraphs": n,
                "changed": changed,
                "changes": len(d["changes"]),
                "parse_ms": parse_s * 1000,
                "diff": diff_s / parse_s,
                "report": report_s / parse_s,
                "diff_s": diff_s,
                "report_s": report_s,
            }
        )
    return rows


@contextlib.contextmanager
def scratch_pg(pg_url: str, kind: str) -> Iterator[str]:
    """A scratch database on the PostgreSQL server, dropped on exit."""
    name = f"cw_bench_{kind}_" + uuid.uuid4().hex[:8]
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield pg_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def interleaved(results: list[dict[str, Any]], runs: int = 9) -> dict[str, tuple]:
    """store kind -> (sqlite s, postgresql s, their query counts): medians of the report on the
    same store, the two backends timed alternately (minutes apart, load moves the ratio by 2x)."""
    by = {(r["backend"], r["kind"]): r for r in results}
    out: dict[str, tuple] = {}
    for kind in ("realistic", "synthetic"):
        pair = [by.get((backend, kind)) for backend in ("sqlite", "postgresql")]
        if None in pair:
            continue
        stores = [open_store(r["url"]) for r in pair]  # type: ignore[index]
        try:
            span = pair[0]["period"]  # type: ignore[index]
            times: list[list[float]] = [[], []]
            for st in stores:
                st.report_data(*span)  # warm
            for _ in range(runs):
                for i, st in enumerate(stores):
                    t = time.perf_counter()
                    st.report_data(*span)
                    times[i].append(time.perf_counter() - t)
        finally:
            for st in stores:
                st.close()
        out[kind] = (
            statistics.median(times[0]),
            statistics.median(times[1]),
            pair[0]["report_queries"],  # type: ignore[index]
            pair[1]["report_queries"],  # type: ignore[index]
        )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of 10,000 installments")
    ap.add_argument("--backend", action="append", choices=["sqlite", "postgres"])
    ap.add_argument(
        "--pg-url",
        default=os.environ.get("CHIHWATCH_TEST_PG"),
        help="PostgreSQL server (a scratch database is created and dropped)",
    )
    ap.add_argument(
        "--quick", action="store_true", help="1%% of the store, SQLite only, small hostile rows"
    )
    args = ap.parse_args(argv)
    scale = 0.01 if args.quick else args.scale
    n = max(10, int(10_000 * scale))
    backends = args.backend or (["sqlite"] if args.quick else ["sqlite", "postgres"])
    stores = [
        ("realistic", realistic_firsts(), REAL_ZONES, REAL_REVISIONS),
        ("synthetic", synthetic_firsts(n), ZONES_PER_INSTALLMENT, REVISIONS),
    ]
    results = []
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        for backend in backends:
            if backend == "postgres" and not args.pg_url:
                print("postgres: skipped (no --pg-url / CHIHWATCH_TEST_PG)", file=sys.stderr)
                continue
            for kind, firsts, zones_per, revisions in stores:
                url = (
                    f"sqlite:///{tmp}/{kind}.db"
                    if backend == "sqlite"
                    else stack.enter_context(scratch_pg(args.pg_url, kind))
                )
                results.append(bench(url, kind, firsts, zones_per, revisions))
        paired = interleaved(results)
    print(
        f"\nstore benchmark: realistic = {REAL_YEARS} years x {REAL_PER_YEAR} installments x "
        f"{REAL_ZONES} zones x {REAL_REVISIONS} revisions; synthetic = {n:,} installments x "
        f"{REVISIONS} revisions x {ZONES_PER_INSTALLMENT} zones; times are medians / baseline "
        "(selecting the week's revisions' rows, same database, same run)"
    )
    head = (
        "backend",
        "store",
        "generate",
        "baseline",
        "report 1 week",
        "queries",
        "diff 1",
        "re-store unchanged",
    )
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in results:
        rows = ", ".join(f"{k} +{v}" for k, v in r["restore_rows"].items()) or "none"
        print(
            f"| {r['backend']} | {r['kind']} ({r['installments']:,} inst, {r['sections']:,} sections) | "
            f"{r['generate_s']:.1f} s | {r['baseline_ms']:.2f} ms | "
            f"{r['report_week']:.1f}x ({r['report_new']} new, {r['report_edited']} edited) | "
            f"{r['report_queries']} | {r['diff']:.2f}x | {r['n_again']:,} pages: "
            f"{r['restore_bytes']:,} bytes = {r['restore_bytes'] / r['n_again']:.0f} B/page; "
            f"rows: {rows}; {r['restore_vs_baseline']:.2f}x per page |"
        )
    if paired:
        print(
            "\nreport on PostgreSQL / SQLite, same store (target <= 1.5x); the two backends timed "
            "alternately, run by run, so that a change of load hits both"
        )
        print("| store | sqlite | postgresql | ratio |")
        print("|---|---|---|---|")
        for k, (a, b, qa, qb) in paired.items():
            print(
                f"| {k} | {a * 1000:.1f} ms ({qa} queries) | {b * 1000:.1f} ms ({qb} queries) | "
                f"{b / a:.2f}x |"
            )
    sizes = [200, 600] if args.quick else [2000, 6000]
    hostile = bench_hostile(sizes, 1 if args.quick else 3)
    print(
        "\nhostile sizes: one zone of N paragraphs, every one edited; CPU time (medians) / "
        "parsing the same page"
    )
    head = ("paragraphs", "parse", "diff", "report (data + HTML)", "changes found")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for h in hostile:
        print(
            f"| {h['paragraphs']:,} | {h['parse_ms']:.0f} ms | {h['diff']:.1f}x ({h['diff_s']:.2f} s) | "
            f"{h['report']:.1f}x ({h['report_s']:.2f} s) | "
            f"{h['changed']:,} changed of {h['changes']:,} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
