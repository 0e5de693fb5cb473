"""The crawl's cheap paths: every page's validators in one query, and responses in batches.

An unchanged re-crawl is almost all 304s, a full crawl almost all new pages. Asking the store for
each request's validators (one query per request) and writing each response in its own
transaction (page row, fetch row, commit) cost more than the download itself (issue 16). Here:

- `load_validators` reads `If-None-Match` / `If-Modified-Since` of every page in one query, once per
  crawl (crawler/storeaccess.py keeps them in memory for the crawl's requests);
- `Response` is one item of a batch that `Store.record_responses` writes in ONE transaction
  (storage/ingest.py), each item exactly what `Store.record_response` writes for it, a 304 no more
  than its fetch row, its page's `last_fetched` / `status` and its installment's `last_seen` (a 304
  says the page is on the site as we hold it); the batch's fetch rows go in as
  one multi-row insert (`insert_fetches`), 304s and new pages alike. A batch is atomic: killed mid-batch, none of its rows
  exist, validators included (so the next crawl asks again with a plain GET); never a fetch row
  without its page update or the other way round.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from storage import ingest_policy
from storage.models import Fetch, Page

__all__ = [
    "NotModified",
    "Response",
    "fetch_values",
    "insert_fetches",
    "load_validators",
    "validator_headers",
]

CHUNK = 500  # URLs per IN (...) (SQLite's default limit on bound parameters is far above)


@dataclass(frozen=True)
class NotModified:
    """One 304 answer, as the crawler saw it."""

    url: str
    headers: Mapping[str, str]
    fetched_at: datetime  # aware, or naive UTC (the store normalises)
    request_url: str | None = None


@dataclass(frozen=True)
class Response:
    """One HTTP response as the crawler saw it: what `Store.record_response` takes, as an item
    of a batch (`Store.record_responses`)."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes | None
    fetched_at: datetime  # aware, or naive UTC (the store normalises)
    error: str | None = None
    request_url: str | None = None
    link_installment: tuple[int, int | None] | None = None


def validator_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    if etag:
        out["If-None-Match"] = etag
    if last_modified:
        out["If-Modified-Since"] = last_modified
    return out


def load_validators(engine: Engine) -> dict[str, dict[str, str]]:
    """url -> conditional request headers, for every page that has validators (one query)."""
    with engine.connect() as c:
        rows = c.execute(
            select(Page.url, Page.etag, Page.last_modified).where(
                (Page.etag.is_not(None)) | (Page.last_modified.is_not(None))
            )
        ).all()
    return {url: h for url, etag, lm in rows if (h := validator_headers(etag, lm))}


def fetch_values(
    page_id: int,
    url: str,
    *,
    at: datetime,
    status: int,
    sha: str | None,
    headers: Mapping[str, str],
    request_url: str | None,
    error: str | None,
) -> dict[str, Any]:
    """A fetch row's columns (`headers` with lower-case names), for a 304 as for any response."""
    return {
        "page_id": page_id,
        "fetched_at": at,
        "status": status,
        "blob_sha": sha,
        "content_type": ingest_policy.content_type(headers.get("content-type")),
        "request_url": request_url if request_url and request_url != url else None,
        "error": error,
    }


def insert_fetches(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Fetch rows (`fetch_values`) inserted in the caller's transaction; their ids, in order.

    One multi-row INSERT per chunk (an executemany with RETURNING runs row by row on SQLite). Ids
    come back with their page; a page's ids are in the order its rows were given.
    """
    by_page: dict[int, list[int]] = {}
    for i in range(0, len(rows), CHUNK):
        for fid, pid in conn.execute(
            insert(Fetch).values(list(rows[i : i + CHUNK])).returning(Fetch.id, Fetch.page_id)
        ):
            by_page.setdefault(pid, []).append(fid)
    for got in by_page.values():
        got.sort(reverse=True)
    return [by_page[r["page_id"]].pop() for r in rows]
