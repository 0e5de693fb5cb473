"""Benchmark of `chihwatch serve`: each route against a plain SELECT of the same rows, and memory.

    python bench/web.py [--quick] [--installments N] [--requests N]

Builds a store of 10,000 installments x 5 revisions x 3 zones (bench/store.py's generator; --quick:
500 installments), then
1. times every route in-process (Starlette's TestClient: routing, queries, rendering; no socket),
   median of several warm runs, as a ratio to a plain SELECT of the rows that route shows, measured
   in the same run on the same database (target: the slowest route within ~10x its SELECT);
2. reports the search index's build time at start (the store stays read-only: the index lives in a
   private in-memory SQLite database);
3. starts `chihwatch serve` as a real process on 127.0.0.1 and sends --requests requests
   (10,000; --quick 1,000) over keep-alive HTTP through the routes, sampling the server's RSS: it
   must stay flat (no growth per request).
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage import open_store  # noqa: E402
from storage.models import Revision  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_store", ROOT / "bench" / "store.py")
assert _spec and _spec.loader
bench_store = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_store)


def median_ms(fn: Callable[[], Any], runs: int) -> float:
    fn()  # warm: every measurement is of a warm database and warm caches
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def build(url: str, installments: int) -> dict[str, Any]:
    store = open_store(url)
    t = time.perf_counter()
    bench_store.generate(store.engine, installments)
    with store.engine.begin() as conn:  # announced as new when first seen, as the crawler does
        conn.execute(text("UPDATE installments SET confirmed_at = first_seen"))
    store.close()
    return {"generate_s": time.perf_counter() - t}


def routes(engine: Any, installments: int) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(name, path, baseline SQL, params): the SQL selects the rows the page shows."""
    with engine.connect() as conn:
        mid = conn.execute(
            text("SELECT year, number, id FROM installments ORDER BY id LIMIT 1 OFFSET :k"),
            {"k": installments // 2},
        ).one()
        zone = conn.execute(
            text(
                "SELECT zone FROM sections s JOIN installments i ON i.latest_revision_id = "
                "s.revision_id WHERE i.id = :i ORDER BY position LIMIT 1"
            ),
            {"i": mid.id},
        ).scalar()
        last = conn.execute(select(func.max(Revision.created_at))).scalar()
    ref = f"{mid.year}-{mid.number}"
    week_end = last + timedelta(seconds=1)
    week = {"lo": week_end - timedelta(days=7), "hi": week_end}
    latest_secs = (
        "SELECT s.zone, s.heading, s.text, i.year, i.number FROM sections s "
        "JOIN installments i ON i.latest_revision_id = s.revision_id"
    )
    # A report shows the new installments' sections, each with the zone's previous section, and
    # every edit in the period with the revision before it: the same rows as plain SELECTs.
    week_rows = (
        "SELECT s.zone, s.text, (SELECT ps.text FROM sections ps JOIN installments pi ON "
        "pi.latest_revision_id = ps.revision_id WHERE ps.zone = s.zone AND (pi.year < i.year OR "
        "(pi.year = i.year AND pi.number < i.number)) ORDER BY pi.year DESC, pi.number DESC "
        "LIMIT 1) FROM installments i JOIN sections s ON s.revision_id = i.latest_revision_id "
        "WHERE i.confirmed_at >= :lo AND i.confirmed_at < :hi;"
        "SELECT r.seq, s.zone, s.text, p.seq, ps.text FROM revisions r "
        "JOIN sections s ON s.revision_id = r.id "
        "JOIN revisions p ON p.installment_id = r.installment_id AND p.seq = r.seq - 1 "
        "JOIN sections ps ON ps.revision_id = p.id AND ps.position = s.position "
        "WHERE r.created_at >= :lo AND r.created_at < :hi"
    )
    wk = (last.date() - timedelta(days=last.date().weekday())).isoformat()
    return [
        ("/api (HTTP floor)", "/api", "SELECT 1", {}),
        ("/", "/", week_rows, week),
        (
            "/installments",
            "/installments",
            "SELECT * FROM installments ORDER BY year DESC, number DESC LIMIT 100",
            {},
        ),
        (
            "/installments/{ref}",
            f"/installments/{ref}",
            "SELECT r.*, s.* FROM revisions r LEFT JOIN sections s ON s.revision_id = r.id "
            "WHERE r.installment_id = :i",
            {"i": mid.id},
        ),
        (
            "/installments/{ref}/diff",
            f"/installments/{ref}/diff?from=1&to=5",
            "SELECT r.seq, s.zone, s.text FROM revisions r JOIN sections s ON s.revision_id = r.id "
            "WHERE r.installment_id = :i AND r.seq IN (1, 5)",
            {"i": mid.id},
        ),
        (
            "/installments/{ref}/archive",
            f"/installments/{ref}/archive",
            "SELECT b.data FROM revisions r JOIN fetches f ON f.id = r.fetch_id "
            "JOIN blobs b ON b.sha256 = f.blob_sha WHERE r.installment_id = :i AND r.seq = 5",
            {"i": mid.id},
        ),
        (
            "/zones",
            "/zones",
            "SELECT s.zone, i.year FROM sections s JOIN installments i ON "
            "i.latest_revision_id = s.revision_id",
            {},
        ),
        (
            "/zones/{name}",
            f"/zones/{quote(zone)}",
            latest_secs + " WHERE s.zone = :z",
            {"z": zone},
        ),
        ("/indicators", "/indicators", latest_secs, {}),
        (
            "/indicators/{indicator}",
            f"/indicators/{quote('固定资产投资')}",
            latest_secs,
            {},
        ),
        (
            "/search?q= (FTS5)",
            f"/search?q={quote('第3次修订')}",
            "SELECT s.text, r.created_at FROM sections s JOIN revisions r ON r.id = s.revision_id "
            "WHERE s.text LIKE :q",
            {"q": "%第3次修订%"},
        ),
        (
            "/search?q= (2 chars)",
            f"/search?q={quote('招商')}",
            "SELECT s.text, r.created_at FROM sections s JOIN revisions r ON r.id = s.revision_id "
            "WHERE s.text LIKE :q",
            {"q": "%招商%"},
        ),
        ("/reports", "/reports", "SELECT created_at FROM revisions", {}),
        ("/reports/{week}", f"/reports/{wk}", week_rows, week),
        ("/feed.atom", "/feed.atom", week_rows, week),
        (
            "/api/zones/{name}",
            f"/api/zones/{quote(zone)}",
            latest_secs + " WHERE s.zone = :z",
            {"z": zone},
        ),
    ]


class Server:
    """`chihwatch serve` as a real process on 127.0.0.1 (what a user runs), its stderr collected."""

    def __init__(self, url: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "chihwatch", "serve", "--db", url, "--port", "0"],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            env=env,
            cwd=ROOT,
        )
        assert self.proc.stderr is not None
        line = self.proc.stderr.readline()
        if " at http://127.0.0.1:" not in line:
            self.stop()
            raise RuntimeError(f"chihwatch serve did not start: {line.strip()}")
        self.port = int(line.split(" at http://127.0.0.1:")[1].split("/")[0])
        self.log: list[str] = []
        threading.Thread(target=self._drain, daemon=True).start()
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        self.get("/api")  # answered once startup (search index, figures) is done
        self.ready_s = time.perf_counter() - self.t0

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.log.append(line.strip())

    def get(self, path: str) -> bytes:
        try:
            self.conn.request("GET", path)
            resp = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionError):
            # uvicorn closes a keep-alive connection idle for 5 s (while a baseline SELECT ran).
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
            self.conn.request("GET", path)
            resp = self.conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"{path}: HTTP {resp.status} {body[:200]!r}")
        return body

    def rss_kb(self) -> int:
        return rss_kb(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def time_routes(srv: Server, engine: Any, installments: int, runs: int) -> list[dict[str, Any]]:
    rows = []
    for name, path, sql, params in routes(engine, installments):
        t = time.perf_counter()
        srv.get(path)  # the first request: caches (reports) cold
        first_ms = (time.perf_counter() - t) * 1000

        def select(sql: str = sql, params: dict[str, Any] = params) -> None:
            with engine.connect() as conn:
                for part in sql.split(";"):
                    conn.execute(text(part), params).all()

        route_ms = median_ms(lambda path=path: srv.get(path), runs)
        sql_ms = median_ms(select, runs)
        rows.append(
            {
                "route": name,
                "first_ms": first_ms,
                "route_ms": route_ms,
                "select_ms": sql_ms,
                "ratio": route_ms / max(sql_ms, 0.05),
            }
        )
    return rows


def memory(srv: Server, engine: Any, requests: int, installments: int) -> list[tuple[int, int]]:
    """RSS of the server process over `requests` keep-alive requests through every route."""
    paths = [p for _n, p, _s, _a in routes(engine, installments)]
    samples: list[tuple[int, int]] = []
    marks = {max(1, requests // 10), requests // 2, requests}
    for k in range(1, requests + 1):
        path = paths[k % len(paths)]
        if k % 3 == 0:  # searches vary, as an analyst's do
            path = f"/search?q={quote('第' + str(k % 5) + '次修订')}&n={k}"
        srv.get(path)
        if k in marks:
            samples.append((k, srv.rss_kb()))
    return samples


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="500 installments, 1,000 requests")
    ap.add_argument("--installments", type=int, default=None)
    ap.add_argument("--requests", type=int, default=None)
    ap.add_argument("--runs", type=int, default=None, help="timed runs per route (median)")
    args = ap.parse_args(argv)
    n = args.installments or (500 if args.quick else 10_000)
    reqs = args.requests or (1_000 if args.quick else 10_000)
    runs = args.runs or (3 if args.quick else 9)
    from web.readonly import open_readonly

    with tempfile.TemporaryDirectory(prefix="chihwatch-bench-web-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        made = build(url, n)
        reader = open_readonly(url)  # the baseline SELECTs read through the same kind of engine
        srv = Server(url)
        try:
            rows = time_routes(srv, reader.engine, n, runs)
            mem = memory(srv, reader.engine, reqs, n)
        finally:
            srv.stop()
            reader.close()
        log = list(srv.log)
    print(
        f"store: {n} installments x {bench_store.REVISIONS} revisions x "
        f"{bench_store.ZONES_PER_INSTALLMENT} zones (SQLite), generated in {made['generate_s']:.1f}s"
    )
    print(f"server ready (search index + figures built) {srv.ready_s:.1f}s after start:")
    for line in log:
        if "search index:" in line or "figures:" in line:
            print("  " + line.split(": ", 1)[-1])
    print()
    print("HTTP over loopback keep-alive to the real server; median of", runs, "warm runs")
    print(f"{'route':30} {'first ms':>9} {'route ms':>9} {'SELECT ms':>10} {'ratio':>7}")
    for r in rows:
        print(
            f"{r['route']:30} {r['first_ms']:9.1f} {r['route_ms']:9.2f} {r['select_ms']:10.2f} "
            f"{r['ratio']:6.1f}x"
        )
    worst = max(rows, key=lambda r: r["ratio"])
    print(
        f"slowest relative to its SELECT: {worst['route']} at {worst['ratio']:.1f}x (target ~10x)"
    )
    print()
    print(f"{'requests':>9} {'server RSS MB':>14}")
    for k, kb in mem:
        print(f"{k:9d} {kb / 1024:14.1f}")
    if len(mem) >= 2:
        growth = (mem[-1][1] - mem[0][1]) / 1024
        per = (mem[-1][1] - mem[0][1]) / max(1, mem[-1][0] - mem[0][0])
        print(
            f"RSS growth after the first {mem[0][0]} requests: {growth:+.1f} MB ({per:+.2f} KB/request)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
