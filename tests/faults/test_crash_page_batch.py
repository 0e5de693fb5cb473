"""SIGKILL a writer in the middle of a batch of new pages (Store.record_responses, issue 16).

The crawler writes its pages in batches, one transaction each (crawler/pipelines.py). After every
kill the store is consistent, every batch is there whole or not at all (never some of its pages,
fetch rows, installments or validators), every batch the writer reported as committed is there,
and a page of the batch the kill cut off left no validators behind: the next crawl asks for it
with a plain GET (no 304 "you have it" for a body the store never kept) and stores it then.
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

SEED = 20261202
KILLS = 8
PAGES = 40  # pages per batch
BASE = datetime(2026, 12, 2, 0, 0)
URL = "http://www.chinahightech.com/html/hotnews/yaowen/2026/1202/{b}-{i}.html"

WRITER = r"""
import sys
from datetime import datetime, timedelta
from storage import open_store
from storage.batch_ingest import Response
from tests.storage.storage_helpers import article, json_parse, page

db, pages, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
base = datetime(2026, 12, 2, 0, 0)
url = "http://www.chinahightech.com/html/hotnews/yaowen/2026/1202/{b}-{i}.html"
store = open_store(db, parse=json_parse, parser_version="test-1")
b = first
while True:
    at = base + timedelta(seconds=b)
    store.record_responses([
        Response(
            url=url.format(b=b, i=i),
            status=200,
            headers={"Content-Type": "text/html; charset=utf-8", "ETag": f'"{b}-{i}"'},
            body=page(article(2026, b * 1000 + i, {"威海高新区": [f"第{b}批第{i}页。"]})),
            fetched_at=at,
        )
        for i in range(pages)
    ])
    print("committed", b, flush=True)
    b += 1
"""


def _naive(v: object) -> datetime:
    return v if isinstance(v, datetime) else datetime.fromisoformat(str(v))


def _batch(v: object) -> int:
    return int((_naive(v) - BASE).total_seconds())


def _stored(db_url: str) -> dict[str, Counter[int]]:
    """Rows per batch: pages, fetch rows, installments, revisions, pages with validators."""
    engine = create_engine(db_url)
    q = {
        "pages": "SELECT first_seen FROM pages",
        "fetches": "SELECT fetched_at FROM fetches WHERE status = 200",
        "installments": "SELECT first_seen FROM installments",
        "revisions": "SELECT created_at FROM revisions",
        "validators": "SELECT first_seen FROM pages WHERE etag IS NOT NULL",
        "good": "SELECT first_seen FROM pages WHERE good_blob_sha IS NOT NULL",
    }
    try:
        with engine.connect() as c:
            return {
                k: Counter(_batch(at) for (at,) in c.execute(text(sql))) for k, sql in q.items()
            }
    finally:
        engine.dispose()


def test_sigkill_a_writer_mid_batch_of_new_pages(db_url: str, tmp_path: Path) -> None:
    from storage import open_store
    from tests.storage.storage_helpers import article, json_parse, page

    rng = random.Random(SEED)
    script = tmp_path / "page_batch_writer.py"
    script.write_text(WRITER, "utf-8")
    open_store(db_url).close()  # migrated before the first kill
    committed: set[int] = set()
    cut: set[int] = set()  # batches a kill may have cut off (the one after the last commit)
    first = 1
    kills = KILLS if db_url.startswith("sqlite") else KILLS // 2
    for k in range(kills):
        proc = start_writer(script, db_url, str(PAGES), str(first))
        assert proc.stdout is not None
        want = rng.randint(1, 4)
        mine: list[int] = []
        while len(mine) < want:
            line = proc.stdout.readline()
            if not line:
                break
            mine.append(int(line.split()[1]))
        time.sleep(rng.uniform(0, 0.1))  # inside the next batch's transaction, most of the time
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        kill_group(proc)
        mine += [int(line.split()[1]) for line in proc.stdout.read().decode().splitlines()]
        committed.update(mine)
        if mine:
            cut.add(max(mine) + 1)
        assert consistency_problems(db_url) == [], f"after kill {k + 1}"
        stored = _stored(db_url)
        for what, per in stored.items():
            partial = {b: n for b, n in per.items() if n != PAGES}
            assert partial == {}, f"after kill {k + 1}: batches' {what} stored in part: {partial}"
        # A page has validators only if its batch is there whole (body, fetch, revision).
        assert set(stored["validators"]) == set(stored["fetches"]) == set(stored["revisions"])
        first = max([first, *committed]) + 1 + 1000  # the next writer's batches are new

    stored = _stored(db_url)
    assert committed <= set(stored["fetches"]), (
        f"committed batches lost: {sorted(committed - set(stored['fetches']))[:10]}"
    )
    lost = sorted(cut - set(stored["fetches"]))
    assert lost, "no kill landed inside a batch's transaction"
    # The next crawl: a lost page has no validators, so it is asked for with a plain GET, and its
    # 200 is a new installment like any page never seen.
    with open_store(db_url, parse=json_parse, parser_version="test-1") as store:
        known = store.validators()
        urls = [URL.format(b=b, i=i) for b in lost for i in range(PAGES)]
        assert not any(u in known for u in urls), "validators kept for a page not stored"
        from storage.batch_ingest import Response

        res = store.record_responses(
            [
                Response(
                    url=URL.format(b=b, i=i),
                    status=200,
                    headers={"ETag": f'"{b}-{i}"'},
                    body=page(article(2026, b * 1000 + i, {"威海高新区": [f"第{b}批第{i}页。"]})),
                    fetched_at=BASE + timedelta(seconds=b),
                )
                for b in lost
                for i in range(PAGES)
            ]
        )
        assert all(r.installment_new and r.revision_new for r in res)
        assert all(u in store.validators() for u in urls)
    assert consistency_problems(db_url) == []
    record_figures(
        crashes_injected=kills,
        runs_survived=kills + 1,
        batches_cut_by_a_kill=len(lost),
        rows_lost_or_duplicated=len(committed - set(stored["fetches"])),
    )
