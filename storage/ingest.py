"""The ingest path: one HTTP response, or a batch of them, into the store in one transaction.

`record_responses` keeps each response's raw snapshot (blob + fetch row, the page's last status
and validators) and hands a body it has not parsed before to storage/derive.py, which maps it onto
its installment (a new installment, a new revision, nothing, or a suspect event) in the same
transaction; the bodies are parsed before the transaction opens. `record_response` is a batch of
one, `record_not_modified` a batch of 304s. The page rows are read and written with Core
(storage/page_rows.py), a batch's pages in one statement. The rules are docs/storage.md's "What a
response does"; the ones about odd headers and suspect copies are in storage/ingest_policy.py.
`Store.record_response`, `Store.record_responses` and `Store.record_not_modified` are the facade.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, cast

import sqlalchemy.exc as sa_exc
from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session

from parsers.model import Article
from storage import batch_ingest, blobs, derive, ingest_policy, page_rows
from storage.models import Event, Installment
from storage.page_rows import PageRow

if TYPE_CHECKING:
    from storage.store import Store

__all__ = [
    "IngestResult",
    "record_response",
    "record_responses",
    "record_not_modified",
]

log = logging.getLogger(__name__)

_INSTALLMENTS = cast(Table, Installment.__table__)
# installments.last_seen moves forward only (an older answer never moves it back).
_SEEN = (
    update(_INSTALLMENTS)
    .where(_INSTALLMENTS.c.id == bindparam("b_id"), _INSTALLMENTS.c.last_seen < bindparam("b_at"))
    .values(last_seen=bindparam("b_at"))
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
    item = batch_ingest.Response(
        url=url,
        status=status,
        headers=headers,
        body=body,
        fetched_at=fetched_at,
        error=error,
        request_url=request_url,
        link_installment=link_installment,
    )
    return record_responses(store, [item])[0]


def record_responses(store: Store, items: Sequence[batch_ingest.Response]) -> list[IngestResult]:
    """A batch of responses (times naive UTC) in one transaction; results in item order.

    Each new body is parsed before the transaction opens. A page named again in the batch, when
    either answer carries a body, starts the next transaction: whether the body must be parsed
    depends on what the earlier one stored (a crawl asks for each URL once, so its batches are
    never cut).
    """
    out: list[IngestResult] = []
    for part in _parts([_response(it) for it in items]):
        parses = _parse_new(store, part)
        try:
            out += _write_batch(store, part, parses)
        except sa_exc.IntegrityError:
            # Another process inserted the same page or blob between our read and our insert
            # (PostgreSQL; SQLite writers are serialised): the retry finds the row and uses it.
            log.info("retrying the write of %s after a concurrent insert", part[0].url)
            out += _write_batch(store, part, parses)
    return out


def _response(it: batch_ingest.Response) -> _Response:
    is_body = it.status == 200 and it.body is not None and it.error is None
    return _Response(
        url=it.url,
        status=it.status,
        headers={k.lower(): v for k, v in (it.headers or {}).items()},
        body=it.body,
        sha=hashlib.sha256(it.body).hexdigest() if is_body and it.body is not None else None,
        at=it.fetched_at,
        error=it.error,
        request_url=it.request_url,
        link_installment=it.link_installment,
    )


def _parts(rs: list[_Response]) -> Iterator[list[_Response]]:
    """The batch cut before a page named again when either answer carries a body: whether a body
    must be parsed, and what the fetch rows before it say, depend on what the earlier one stored."""
    part: list[_Response] = []
    urls: set[str] = set()
    with_body: set[str] = set()
    for r in rs:
        if r.url in urls and (r.sha is not None or r.url in with_body):
            yield part
            part, urls, with_body = [], set(), set()
        part.append(r)
        urls.add(r.url)
        if r.sha is not None:
            with_body.add(r.url)
    if part:
        yield part


_Parse = tuple[Article | None, str | None, bool]


def _parse_new(store: Store, rs: Sequence[_Response]) -> list[_Parse]:
    """(article, parse error, again) per response: the parse of each body not known yet, made
    outside the write (the bodies' pages read in one statement, on a plain connection).

    `again`: the page's suspect copy served once more, parsed again only because this fetch may
    make it the site's text (storage/ingest_policy.py).
    """
    out: list[_Parse] = [(None, None, False)] * len(rs)
    bodies = [(i, r) for i, r in enumerate(rs) if r.sha is not None and r.body is not None]
    if not bodies:
        return out
    todo: list[tuple[int, _Response, bool]] = []
    with store.engine.connect() as c:
        pages = page_rows.load(c, (r.url for _i, r in bodies))
        for i, r in bodies:
            row = pages.get(r.url)
            again = False
            if row is not None and r.sha == row.last_blob_sha != row.good_blob_sha:
                with Session(bind=c) as s:
                    again = ingest_policy.may_confirm(s, row.id, row.good_blob_sha, r.at)
            # Bytes parsed before, as the last delivery or the last good one: nothing to learn,
            # only a fetch row to add (a broken delivery in between does not make them news).
            if row is None or r.sha not in (row.last_blob_sha, row.good_blob_sha) or again:
                todo.append((i, r, again))
            else:
                out[i] = (None, None, again)
    for i, r, again in todo:
        assert r.body is not None
        article, parse_error = derive.try_parse(store, r.body, r.url, r.headers)
        out[i] = (article, parse_error, again)
    return out


def _write_batch(
    store: Store, rs: Sequence[_Response], parses: Sequence[_Parse]
) -> list[IngestResult]:
    """One transaction, 200s and 304s alike: the batch's pages read in one statement, new pages,
    new blobs and every fetch row inserted a statement each, then each response's own rows in
    item order (a parse applied, an availability event), the 304s' installments marked seen
    (one executemany) and the pages' changes written at the end."""
    with store._write() as s:
        conn = s.connection()
        pages = page_rows.load(conn, (r.url for r in rs))
        new_pages: dict[str, datetime] = {}
        for r in rs:
            if r.url not in pages:
                new_pages.setdefault(r.url, r.at)
        pages.update(page_rows.insert_pages(conn, new_pages))
        bodies = {r.sha: r.body for r in rs if r.sha is not None and r.body is not None}
        fresh = blobs.put_many(conn, bodies) if bodies else set()
        # Core inserts (values bound): the fetch rows are never read back as ORM objects here,
        # and the ORM unit of work cost more than the inserts (issue 16).
        fetch_ids = batch_ingest.insert_fetches(
            conn,
            [
                batch_ingest.fetch_values(
                    pages[r.url].id,
                    r.url,
                    at=r.at,
                    status=r.status,
                    sha=r.sha,
                    headers=r.headers,
                    request_url=r.request_url,
                    error=r.error,
                )
                for r in rs
            ],
        )
        out: list[IngestResult] = []
        seen: dict[int, datetime] = {}  # installment id -> the latest 304 of one of its pages
        for r, fetch_id, (article, parse_error, again) in zip(rs, fetch_ids, parses, strict=True):
            page = pages[r.url]
            page_rows.touch(page, r.at, r.status)
            outcome = derive.Outcome()
            if r.sha is not None or (r.error is None and r.status >= 400):
                asked = pages.get(r.request_url) if r.request_url else None
                if asked is not None and asked.changes():
                    # derive.installment_of reads the requested page's installment from the table.
                    page_rows.save(conn, list(pages.values()))
                if r.sha is not None:
                    outcome = _record_body(store, s, page, r, fetch_id, article, parse_error, again)
                else:
                    _record_unavailable(s, page, r, fetch_id)
            elif r.status == 304 and r.error is None and page.installment_id is not None:
                # The page is on the site as we hold it: its installment was seen then.
                if r.at > seen.get(page.installment_id, datetime.min):
                    seen[page.installment_id] = r.at
            blob_new = r.sha in fresh
            fresh.discard(r.sha or "")  # identical bytes twice in a batch: new the first time
            out.append(_result(r, fetch_id, blob_new, outcome, parse_error))
        if seen:
            s.flush()  # the parses' own last_seen first: the 304s' only ever move it forward
            conn.execute(_SEEN, [{"b_id": iid, "b_at": at} for iid, at in seen.items()])
        page_rows.save(conn, list(pages.values()))
    return out


def _result(
    r: _Response, fetch_id: int, blob_new: bool, outcome: derive.Outcome, parse_error: str | None
) -> IngestResult:
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
    page: PageRow,
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


def _record_unavailable(s: Session, page: PageRow, r: _Response, fetch_id: int) -> None:
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
    page: PageRow,
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
    """A batch of 304s (times naive UTC) in one transaction: `record_responses` with 304s (a
    304 for a page the store does not hold creates the page, as `record_response` does)."""
    return record_responses(
        store,
        [
            batch_ingest.Response(
                url=it.url,
                status=304,
                headers=it.headers,
                body=None,
                fetched_at=it.fetched_at,
                request_url=it.request_url,
            )
            for it in items
        ],
    )
