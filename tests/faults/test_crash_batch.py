"""SIGKILL a writer in the middle of a batch of 304s (Store.record_not_modified, issue 16).

A batch is one transaction: after every kill the store is consistent, every batch is there whole
or not at all (never some of its fetch rows, never a fetch row without its page's last_fetched),
every batch the writer reported as committed is there, and the next writer completes.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.support.crawlkit import record_figures
from tests.support.storecheck import consistency_problems
from tests.support.writers import kill_group, start_writer

SEED = 20261201
KILLS = 8
PAGES = 60
BASE = datetime(2026, 12, 1, 0, 0)

WRITER = r"""
import sys
from datetime import datetime, timedelta
from storage import open_store
from storage.batch_ingest import NotModified

db, pages, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
base = datetime(2026, 12, 1, 0, 0)
urls = [f"http://www.chinahightech.com/html/hotnews/yaowen/2026/1201/{i}.html" for i in range(pages)]
store = open_store(db)
b = first
while True:
    at = base + timedelta(seconds=b)
    store.record_not_modified(
        [NotModified(url=u, headers={"ETag": f'"{i}"'}, fetched_at=at) for i, u in enumerate(urls)]
    )
    print("committed", b, flush=True)
    b += 1
"""


def _batches(db_url: str) -> tuple[Counter[datetime], list[tuple[str, object, object]]]:
    """304 fetch rows per batch (fetched_at), and pages whose last_fetched is not their latest fetch."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as c:
            per = Counter(
                _naive(at)
                for (at,) in c.execute(text("SELECT fetched_at FROM fetches WHERE status = 304"))
            )
            off = [
                (url, last, latest)
                for url, last, latest in c.execute(
                    text(
                        "SELECT p.url, p.last_fetched, max(f.fetched_at) FROM pages p "
                        "JOIN fetches f ON f.page_id = p.id GROUP BY p.id, p.url, p.last_fetched"
                    )
                )
                if _naive(last) != _naive(latest)
            ]
    finally:
        engine.dispose()
    return per, off


def _naive(v: object) -> datetime:
    return v if isinstance(v, datetime) else datetime.fromisoformat(str(v))


def test_sigkill_a_writer_mid_batch(db_url: str, tmp_path: Path) -> None:
    from storage import open_store

    rng = random.Random(SEED)
    script = tmp_path / "batch_writer.py"
    script.write_text(WRITER, "utf-8")
    urls = [
        f"http://www.chinahightech.com/html/hotnews/yaowen/2026/1201/{i}.html" for i in range(PAGES)
    ]
    with open_store(db_url) as store:  # the pages exist (a 404 each), as a crawl's 304s need
        for u in urls:
            store.record_response(u, status=404, headers={}, body=None, fetched_at=BASE)
    committed: set[int] = set()
    first = 1
    kills = KILLS if db_url.startswith("sqlite") else KILLS // 2
    for k in range(kills):
        proc = start_writer(script, db_url, str(PAGES), str(first))
        assert proc.stdout is not None
        want = rng.randint(1, 6)
        seen = 0
        while seen < want:
            line = proc.stdout.readline()
            if not line:
                break
            committed.add(int(line.split()[1]))
            seen += 1
        time.sleep(rng.uniform(0, 0.03))  # inside the next batch, most of the time
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        kill_group(proc)
        for line in proc.stdout.read().decode().splitlines():  # commits printed before the kill
            committed.add(int(line.split()[1]))
        assert consistency_problems(db_url) == [], f"after kill {k + 1}"
        per, off = _batches(db_url)
        partial = {at: n for at, n in per.items() if n != PAGES}
        assert partial == {}, f"after kill {k + 1}: batches stored in part: {partial}"
        assert off == [], f"after kill {k + 1}: page rows out of step with their fetches: {off[:3]}"
        first = max([first, *committed]) + 1 + 1000  # the next writer's batches are new instants

    per, _off = _batches(db_url)
    have = {int((at - BASE).total_seconds()) for at in per}
    assert committed <= have, f"committed batches lost: {sorted(committed - have)[:10]}"
    # The next writer runs to completion on the same store.
    from storage.batch_ingest import NotModified

    with open_store(db_url) as store:
        at = BASE + timedelta(days=1)
        res = store.record_not_modified(
            [NotModified(url=u, headers={}, fetched_at=at) for u in urls]
        )
        assert [r.status for r in res] == [304] * PAGES and len({r.fetch_id for r in res}) == PAGES
    assert consistency_problems(db_url) == []
    record_figures(
        crashes_injected=kills,
        runs_survived=kills + 1,
        rows_lost_or_duplicated=len(committed - have),
    )
