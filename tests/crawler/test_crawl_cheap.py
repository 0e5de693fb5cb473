"""An unchanged re-crawl costs almost nothing (issue 16): list-page 304s leave the HTTP cache alone,
article 304s go in batches, and nothing else is written."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, text

from chihwatch.demo.mirror import MirrorServer
from tests.support.crawlkit import crawl


def _cache_files(home: Path) -> dict[str, int]:
    root = home / "httpcache"
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def _rows(db_url: str) -> dict[str, int]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as c:
            return {
                t: int(c.execute(text(f"SELECT count(*) FROM {t}")).scalar() or 0)
                for t in ("pages", "blobs", "installments", "revisions", "sections", "events")
            }
    finally:
        engine.dispose()


def test_unchanged_recrawl_rewrites_no_cache_entry_and_adds_only_fetch_rows(
    sqlite_url: str, mirror: MirrorServer
) -> None:
    home = Path(os.environ["CHIHWATCH_HOME"])
    first = crawl(sqlite_url, mirror)
    assert first.fetched > 0 and first.list_pages > 0
    cached = _cache_files(home)
    assert any(name.endswith("response_body") for name in cached), cached  # list pages cached
    rows = _rows(sqlite_url)

    again = crawl(sqlite_url, mirror)
    assert again.list_not_modified == again.list_pages > 0  # every list page answered 304
    assert again.not_modified == first.fetched and again.fetched == 0  # every article a 304
    assert again.new_installments == again.new_revisions == again.errors == 0
    # The cache entries of the list pages were not written again (Scrapy's HttpCacheMiddleware
    # rewrites the whole gzip entry on every revalidation).
    assert _cache_files(home) == cached
    assert _rows(sqlite_url) == rows  # fetch rows only: no page, blob, revision or event
