"""The ingest path: one HTTP response (or a batch of 304s) into the store, in one transaction.

`record_response` keeps the raw snapshot (blob + fetch row, the page's last status and
validators) and hands a body it has not parsed before to storage/derive.py, which maps it onto
its installment (a new installment, a new revision, nothing, or a suspect event) in the same
transaction. The rules are docs/storage.md's "What a response does"; the ones about odd headers
and suspect copies are in storage/ingest_policy.py. `Store.record_response` and
`Store.record_not_modified` are the facade.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, cast

import sqlalchemy.exc as sa_exc
from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.orm import Session

from parsers.model import Article
from storage import batch_ingest, blobs, derive, ingest_policy
from storage.models import Event, Fetch, Installment, Page

if TYPE_CHECKING:
    from storage.store import Store

__all__ = [
    "IngestResult",
    "record_response",
    "record_not_modified",
]

log = logging.getLogger(__name__)

_FETCHES = cast(Table, Fetch.__table__)
_INSERT_FETCH = insert(_FETCHES).returning(_FETCHES.c.id)
_PAGES = cast(Table, Page.__table__)
_PAGE_SHAS = select(_PAGES.c.id, _PAGES.c.last_blob_sha, _PAGES.c.good_blob_sha).where(
    _PAGES.c.url == bindparam("url")
)


@dataclass(frozen=True)
class IngestResult:
    """What one record_response call did."""

    url: str
    fetch_id: int
    status: int
    blob_new: bool
    installment: tuple[str, int, int] | None
    installment_new: bool
    revision_new: bool
    suspect: str | None
    error: str | None


@dataclass(frozen=True)
class _Response:
    """One response as record_response got it (times naive UTC, header names lower-case)."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes | None
    sha: str | None
    at: datetime
    error: str | None
    request_url: str | None
    link_installment: tuple[int, int | None] | None


# -- the response -------------------------------------------------------------------------------


def record_response(
    store: Store,
    url: str,
    *,
    status: int,
    headers: Mapping[str, str],
    body: bytes | None,
    fetched_at: datetime,
    error: str | None = None,
    request_url: str | None = None,
    link_installment: tuple[int, int | None] | None = None,
) -> IngestResult:
    """Store one HTTP response (one transaction); `fetched_at` naive UTC. See the Store's."""
    is_body = status == 200 and body is not None and error is None
    r = _Response(
        url=url,
        status=status,
        headers={k.lower(): v for k, v in (headers or {}).items()},
        body=body,
        sha=hashlib.sha256(body).hexdigest() if is_body and body is not None else None,
        at=fetched_at,
        error=error,
        request_url=request_url,
        link_installment=link_installment,
    )
    article, parse_error, again = _parse_if_new(store, r)
    try:
        return _write_response(store, r, article, parse_error, again)
    except sa_exc.IntegrityError:
        # Another process inserted the same page or blob between our read and our insert
        # (PostgreSQL; SQLite writers are serialised): the retry finds the row and uses it.
        log.info("retrying the write of %s after a concurrent insert", url)
        return _write_response(store, r, article, parse_error, again)


def _parse_if_new(store: Store, r: _Response) -> tuple[Article | None, str | None, bool]:
    """(article, parse error, again): the parse of a body not known yet, outside the write.

    `again`: the page's suspect copy served once more, parsed again only because this fetch may
    make it the site's text (storage/ingest_policy.py).
    """
    if r.sha is None or r.body is None:
        return None, None, False
    # A plain connection, not a Session: one cached statement per page (issue 16).
    with store.engine.connect() as c:
        row = c.execute(_PAGE_SHAS, {"url": r.url}).first()
        if row is not None and r.sha == row.last_blob_sha != row.good_blob_sha:
            with Session(bind=c) as s:
                again = ingest_policy.may_confirm(s, row.id, row.good_blob_sha, r.at)
        else:
            again = False
    # Bytes parsed before, as the last delivery or the last good one: nothing to learn, only a
    # fetch row to add (a broken delivery in between does not make them news).
    if row is None or r.sha not in (row.last_blob_sha, row.good_blob_sha) or again:
        article, parse_error = derive.try_parse(store, r.body, r.url, r.headers)
        return article, parse_error, again
    return None, None, again


def _write_response(
    store: Store, r: _Response, article: Article | None, parse_error: str | None, again: bool
) -> IngestResult:
    with store._write() as s:
        page = s.scalar(select(Page).where(Page.url == r.url))
        if page is None:
            page = Page(url=r.url, first_seen=r.at)
            s.add(page)
            s.flush()
        blob_new = False
        if r.sha is not None and r.body is not None:
            blob_new = blobs.put(s, r.sha, r.body)
        # Core insert (values bound, statement compiled once): the fetch row is never read back
        # in this transaction, and the ORM unit of work cost more than the insert (issue 16).
        fetch_id: int = (
            s.connection()
            .execute(
                _INSERT_FETCH,
                {
                    "page_id": page.id,
                    "fetched_at": r.at,
                    "status": r.status,
                    "blob_sha": r.sha,
                    "content_type": ingest_policy.content_type(r.headers.get("content-type")),
                    "request_url": r.request_url
                    if r.request_url and r.request_url != r.url
                    else None,
                    "error": r.error,
                },
            )
            .scalar_one()
        )
        if page.last_fetched is None or r.at >= page.last_fetched:
            page.last_fetched = r.at
            page.status = r.status
        outcome = derive.Outcome()
        if r.sha is not None:
            outcome = _record_body(store, s, page, r, fetch_id, article, parse_error, again)
        elif r.error is None and r.status >= 400:
            _record_unavailable(s, page, r, fetch_id)
        elif r.error is None and r.status == 304 and page.installment_id is not None:
            # The page is on the site as we hold it: its installment was seen (as in a batch of
            # 304s, storage/batch_ingest.py).
            inst = s.get(Installment, page.installment_id)
            if inst is not None:
                inst.last_seen = max(inst.last_seen, r.at)
        return IngestResult(
            url=r.url,
            fetch_id=fetch_id,
            status=r.status,
            blob_new=blob_new,
            installment=outcome.installment,
            installment_new=outcome.installment_new,
            revision_new=outcome.revision_new,
            suspect=outcome.suspect,
            error=r.error or parse_error,
        )


def _record_body(
    store: Store,
    s: Session,
    page: Page,
    r: _Response,
    fetch_id: int,
    article: Article | None,
    parse_error: str | None,
    again: bool,
) -> derive.Outcome:
    """A 200 with a body: its parse applied (or its parse error), the page's validators kept."""
    page.last_blob_sha = r.sha
    outcome = derive.Outcome()
    if article is not None:
        outcome = derive.apply_article(
            store,
            s,
            page,
            article,
            r.at,
            "site",
            fetch_id,
            sha=r.sha,
            request_url=r.request_url,
            repeat=again,
        )
    elif parse_error is not None:
        outcome = _record_parse_error(
            s, page, parse_error, r.at, fetch_id, r.request_url, r.link_installment
        )
    elif page.installment_id is not None:
        inst = s.get(Installment, page.installment_id)
        if inst is not None:
            inst.last_seen = max(inst.last_seen, r.at)
            outcome = derive.Outcome(installment=(inst.series, inst.year, inst.number))
    parsed_ok = article is not None and outcome.suspect is None and not outcome.held_back
    if parsed_ok or (article is None and r.sha == page.good_blob_sha):
        # Validators describe the body we hold as good: after a suspect copy the next request
        # must not be answered 304 "you have it" and keep it so.
        page.etag = ingest_policy.validator(r.headers.get("etag"), ingest_policy.ETAG_MAX)
        page.last_modified = ingest_policy.validator(
            r.headers.get("last-modified"), ingest_policy.LAST_MODIFIED_MAX
        )
    return outcome


def _record_unavailable(s: Session, page: Page, r: _Response, fetch_id: int) -> None:
    """A 404/5xx: an `availability` event for the installment the URL is about, if known."""
    inst_id = derive.installment_of(s, page, r.request_url, r.link_installment)
    if inst_id is None:
        return
    inst = s.get(Installment, inst_id)
    s.add(
        Event(
            kind="availability",
            at=r.at,
            page_id=page.id,
            fetch_id=fetch_id,
            installment_id=inst_id,
            status=r.status,
            reason=f"HTTP {r.status}",
            title=inst.title if inst else None,
        )
    )


def _record_parse_error(
    s: Session,
    page: Page,
    message: str,
    at: datetime,
    fetch_id: int | None,
    request_url: str | None = None,
    link_installment: tuple[int, int | None] | None = None,
) -> derive.Outcome:
    """Keep the raw blob; a known installment's page that stops parsing is a suspect."""
    inst_id = derive.installment_of(s, page, request_url, link_installment)
    inst = s.get(Installment, inst_id) if inst_id else None
    kind = "suspect" if inst is not None else "parse_error"
    reason = f"parse failed: {message}" if inst is not None else message
    s.add(
        Event(
            kind=kind,
            at=at,
            page_id=page.id,
            fetch_id=fetch_id,
            installment_id=inst.id if inst else None,
            reason=reason,
            title=inst.title if inst else None,
        )
    )
    if inst is None:
        return derive.Outcome()
    return derive.Outcome(installment=(inst.series, inst.year, inst.number), suspect=reason)


# -- 304s in batches ----------------------------------------------------------------------------


def record_not_modified(
    store: Store, items: Sequence[batch_ingest.NotModified]
) -> list[IngestResult]:
    """A batch of 304s (times naive UTC) in one transaction (storage/batch_ingest.py); results
    in item order. A 304 for a page the store does not hold goes through `record_response` (it
    creates the page)."""
    with store._write() as s:
        recorded, unknown = batch_ingest.record_not_modified(s, items)
    done = {id(it): r for (it, _f), r in zip(recorded, batch_ingest.results(recorded), strict=True)}
    for it in unknown:
        done[id(it)] = record_response(
            store,
            it.url,
            status=304,
            headers=it.headers,
            body=None,
            fetched_at=it.fetched_at,
            request_url=it.request_url,
        )
    return [done[id(it)] for it in items]
