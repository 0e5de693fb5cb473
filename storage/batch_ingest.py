"""The crawl's cheap paths: every page's validators in one query, and 304s recorded in batches.

An unchanged re-crawl is almost all 304s. Asking the store for each request's validators (one query
per request) and writing each 304 in its own transaction (page row, fetch row, commit) cost more than
the download itself (issue 16). Here:

- `load_validators` reads `If-None-Match` / `If-Modified-Since` of every page in one query, once per
  crawl (crawler/storeaccess.py keeps them in memory for the crawl's requests);
- `record_not_modified` records a batch of 304s in ONE transaction: a fetch row per response and
  the page's `last_fetched` / `status` and its installment's `last_seen` (a 304 says the page is
  on the site as we hold it), exactly what `Store.record_response` writes for a 304. The
  batch is atomic: killed mid-batch, none of its rows exist (and the next crawl asks again); never
  a fetch row without its page update or the other way round.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from storage import ingest_policy
from storage.models import Fetch, Installment, Page

if TYPE_CHECKING:
    from storage.ingest import IngestResult

__all__ = ["NotModified", "load_validators", "record_not_modified", "validator_headers"]

CHUNK = 500  # URLs per IN (...) (SQLite's default limit on bound parameters is far above)

_INSTALLMENTS: Table = Installment.__table__  # type: ignore[assignment]
# installments.last_seen moves forward only (an older answer never moves it back).
_SEEN = (
    update(_INSTALLMENTS)
    .where(_INSTALLMENTS.c.id == bindparam("b_id"), _INSTALLMENTS.c.last_seen < bindparam("b_at"))
    .values(last_seen=bindparam("b_at"))
)


@dataclass(frozen=True)
class NotModified:
    """One 304 answer, as the crawler saw it."""

    url: str
    headers: Mapping[str, str]
    fetched_at: datetime  # aware, or naive UTC (the store normalises)
    request_url: str | None = None


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


def record_not_modified(
    s: Session, items: Sequence[NotModified]
) -> tuple[list[tuple[NotModified, int]], list[NotModified]]:
    """Record the 304s of known pages in the caller's transaction.

    Returns ((item, fetch id) for each recorded one, items whose page is unknown): a 304 for a
    page we never stored is left to `Store.record_response`, which creates the page.
    """
    pages: dict[str, tuple[int, datetime | None]] = {}
    installment_of: dict[int, int] = {}
    urls = sorted({it.url for it in items})
    for i in range(0, len(urls), CHUNK):
        for pid, url, last, iid in s.execute(
            select(Page.id, Page.url, Page.last_fetched, Page.installment_id).where(
                Page.url.in_(urls[i : i + CHUNK])
            )
        ):
            pages[url] = (pid, last)
            if iid is not None:
                installment_of[pid] = iid
    known = [it for it in items if it.url in pages]
    unknown = [it for it in items if it.url not in pages]
    if not known:
        return [], unknown
    params: list[dict[str, Any]] = []
    for it in known:
        hdrs = {k.lower(): v for k, v in it.headers.items()}
        params.append(
            {
                "page_id": pages[it.url][0],
                "fetched_at": it.fetched_at,
                "status": 304,
                "blob_sha": None,
                "content_type": ingest_policy.content_type(hdrs.get("content-type")),
                "request_url": it.request_url
                if it.request_url and it.request_url != it.url
                else None,
                "error": None,
            }
        )
    # One multi-row INSERT per chunk (an executemany with RETURNING runs row by row on SQLite).
    # Ids come back with their page; a page's ids are in the order its rows were given.
    by_page: dict[int, list[int]] = {}
    for i in range(0, len(params), CHUNK):
        for fid, pid in s.execute(
            insert(Fetch).values(params[i : i + CHUNK]).returning(Fetch.id, Fetch.page_id)
        ):
            by_page.setdefault(pid, []).append(fid)
    for got in by_page.values():
        got.sort(reverse=True)
    ids = [by_page[p["page_id"]].pop() for p in params]
    # The page row says when it was last fetched and how that went (as record_response does:
    # never moved back by an older answer).
    latest: dict[int, datetime] = {}
    for it in known:
        pid, last = pages[it.url]
        if (last is None or it.fetched_at >= last) and it.fetched_at >= latest.get(
            pid, it.fetched_at
        ):
            latest[pid] = it.fetched_at
    if latest:
        s.execute(
            update(Page),
            [{"id": pid, "last_fetched": at, "status": 304} for pid, at in latest.items()],
        )
    seen: dict[int, datetime] = {}
    for it in known:
        iid = installment_of.get(pages[it.url][0])
        if iid is not None and it.fetched_at > seen.get(iid, datetime.min):
            seen[iid] = it.fetched_at
    if seen:
        s.connection().execute(_SEEN, [{"b_id": iid, "b_at": at} for iid, at in seen.items()])
    return list(zip(known, ids, strict=True)), unknown


def results(recorded: Sequence[tuple[NotModified, int]]) -> list[IngestResult]:
    from storage.ingest import IngestResult

    return [
        IngestResult(
            url=it.url,
            fetch_id=fid,
            status=304,
            blob_new=False,
            installment=None,
            installment_new=False,
            revision_new=False,
            suspect=None,
            error=None,
        )
        for it, fid in recorded
    ]
