"""The crawl's cheap paths (issue 16): validators at once, 304s in batches, reparse without writes.

Each is checked against what the one-page path does on the same store, on both backends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from storage import Store
from storage.batch_ingest import NotModified
from storage.models import Fetch, Installment, Page
from tests.storage.storage_helpers import KUNMING, WEIHAI, article, count, page

T0 = datetime(2024, 2, 6, 1, 0, tzinfo=UTC)
URL = "http://www.chinahightech.com/html/hotnews/yaowen/2024/0206/{}.html"


@contextmanager
def writes(store: Store) -> Iterator[list[str]]:
    """Every INSERT / UPDATE / DELETE the store's engine runs inside the block."""
    seen: list[str] = []

    def listen(_conn, _cur, statement: str, *_a: object) -> None:
        if statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", listen)


def _stored(store: Store, n: int) -> list[str]:
    urls = []
    for i in range(n):
        url = URL.format(5700000 + i)
        art = article(2024, i + 1, {"威海高新区": WEIHAI, "昆明高新区": KUNMING[:1]})
        res = store.record_response(
            url,
            status=200,
            headers={"ETag": f'"e{i}"', "Last-Modified": "Tue, 06 Feb 2024 08:53:40 GMT"},
            body=page(art),
            fetched_at=T0,
        )
        assert res.installment_new
        urls.append(url)
    return urls


def _pages(store: Store) -> dict[str, tuple]:
    with Session(store.engine) as s:
        return {
            p.url: (p.last_fetched, p.status, p.etag, p.last_modified, p.last_blob_sha)
            for p in s.scalars(select(Page))
        }


def _last_seen(store: Store) -> dict[str, datetime]:
    """Installment URL -> last_seen."""
    with Session(store.engine) as s:
        return {u: t for u, t in s.execute(select(Installment.url, Installment.last_seen))}


def _fetches(store: Store) -> list[tuple]:
    with Session(store.engine) as s:
        return sorted(
            (p.url, f.fetched_at, f.status, f.blob_sha, f.content_type, f.request_url, f.error)
            for f, p in s.execute(select(Fetch, Page).join(Page, Page.id == Fetch.page_id))
        )


def test_validators_are_conditional_headers_of_every_page(store: Store) -> None:
    urls = _stored(store, 3)
    store.record_response(URL.format(1), status=404, headers={}, body=None, fetched_at=T0)
    got = store.validators()
    assert got == {u: store.conditional_headers(u) for u in urls}
    assert got[urls[0]] == {
        "If-None-Match": '"e0"',
        "If-Modified-Since": "Tue, 06 Feb 2024 08:53:40 GMT",
    }
    assert URL.format(1) not in got  # never healthy: no validators, as conditional_headers says


def test_a_batch_of_304s_writes_what_one_by_one_writes(db_url: str, tmp_path) -> None:
    from storage import open_store
    from tests.storage.storage_helpers import json_parse

    at = T0 + timedelta(days=1)
    older = T0 - timedelta(days=1)  # an answer older than the page's last fetch moves nothing
    results = {}
    for mode in ("single", "batch"):
        url_ = db_url if mode == "single" else f"sqlite:///{tmp_path / 'batch.db'}"
        if mode == "batch" and not db_url.startswith("sqlite"):
            from sqlalchemy import create_engine, text

            admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
            name = db_url.rsplit("/", 1)[1] + "_b"
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            url_ = db_url.rsplit("/", 1)[0] + "/" + name
        st = open_store(url_, parse=json_parse, parser_version="test-1")
        try:
            urls = _stored(st, 4)
            items = [
                NotModified(url=urls[0], headers={"Content-Type": "text/html"}, fetched_at=at),
                NotModified(url=urls[1], headers={}, fetched_at=at, request_url=URL.format(9)),
                NotModified(url=urls[2], headers={}, fetched_at=older),
                NotModified(url=URL.format(77), headers={}, fetched_at=at),  # an unknown page
            ]
            if mode == "single":
                res = [
                    st.record_response(
                        it.url,
                        status=304,
                        headers=it.headers,
                        body=None,
                        fetched_at=it.fetched_at,
                        request_url=it.request_url,
                    )
                    for it in items
                ]
            else:
                with writes(st) as seen:
                    res = st.record_not_modified(items)
                # One transaction: one INSERT of the fetch rows (the unknown page's too, after
                # one INSERT of the new page), one UPDATE of the pages (executemany).
                assert sum(s.lstrip().upper().startswith("INSERT INTO FETCHES") for s in seen) == 1
                assert sum(s.lstrip().upper().startswith("INSERT INTO PAGES") for s in seen) == 1
            results[mode] = (
                [
                    (r.url, r.status, r.blob_new, r.installment, r.revision_new, r.error)
                    for r in res
                ],
                _pages(st),
                _fetches(st),
                count(st, Installment),
                _last_seen(st),
            )
            assert len({r.fetch_id for r in res}) == 4
        finally:
            st.close()
    assert results["batch"] == results["single"]
    pages = results["batch"][1]
    assert pages[URL.format(5700000)][:2] == (at.replace(tzinfo=None), 304)
    assert pages[URL.format(5700002)][:2] == (T0.replace(tzinfo=None), 200)  # not moved back
    # A 304 says the page is on the site as we hold it: its installment was seen then (and an
    # older answer does not move last_seen back).
    seen = results["batch"][4]
    assert seen[URL.format(5700000)] == seen[URL.format(5700001)] == at.replace(tzinfo=None)
    assert seen[URL.format(5700002)] == seen[URL.format(5700003)] == T0.replace(tzinfo=None)


def test_reparse_of_unchanged_pages_writes_nothing_and_keeps_last_seen(store: Store) -> None:
    urls = _stored(store, 3)
    later = T0 + timedelta(days=3)
    store.record_response(  # seen again on the site, same bytes
        urls[0],
        status=200,
        headers={},
        body=page(article(2024, 1, {"威海高新区": WEIHAI, "昆明高新区": KUNMING[:1]})),
        fetched_at=later,
    )
    with Session(store.engine) as s:
        seen_before = {i.number: i.last_seen for i in s.scalars(select(Installment))}
    with writes(store) as seen:
        counts = store.reparse()
    assert counts["unchanged"] == 3 and counts["parsed"] == 3, counts
    assert seen == []  # not one write for pages whose text did not change
    with Session(store.engine) as s:
        seen_after = {i.number: i.last_seen for i in s.scalars(select(Installment))}
    # last_seen says when the site last showed the page, not when it was last parsed.
    assert seen_after == seen_before
    assert seen_after[1] == later.replace(tzinfo=None)


def test_reparse_that_changes_a_revision_still_keeps_last_seen(db_url: str) -> None:
    from storage import open_store
    from tests.storage.storage_helpers import json_parse

    def cut(html: bytes, url: str | None = None, headers=None):  # a parser that drops a paragraph
        art = json_parse(html, url, headers)
        from dataclasses import replace

        return replace(art, intro=art.intro + ("新版解析器多读到的一段。",))

    st = open_store(db_url, parse=json_parse, parser_version="test-1")
    try:
        _stored(st, 2)
        with Session(st.engine) as s:
            before = {i.number: i.last_seen for i in s.scalars(select(Installment))}
    finally:
        st.close()
    st2 = open_store(db_url, parse=cut, parser_version="test-2")
    try:
        counts = st2.reparse()
        assert counts["new_revisions"] == 2, counts
        with Session(st2.engine) as s:
            after = {i.number: i.last_seen for i in s.scalars(select(Installment))}
        assert after == before
        assert st2.reparse()["unchanged"] == 2  # and now nothing to do
    finally:
        st2.close()


def _second_url(db_url: str, tmp_path, suffix: str) -> str:
    """Another empty database on the same backend."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / (suffix + '.db')}"
    from sqlalchemy import create_engine, text

    admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
    name = db_url.rsplit("/", 1)[1] + "_" + suffix
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return db_url.rsplit("/", 1)[0] + "/" + name


def test_a_batch_of_pages_writes_what_one_by_one_writes(db_url: str, tmp_path) -> None:
    """Store.record_responses (the crawler's batches) against record_response item by item: the
    same results, pages, fetch rows, installments, revisions and events."""
    from storage import open_store
    from storage.batch_ingest import Response
    from storage.models import Event, Revision
    from tests.storage.storage_helpers import json_parse

    at = T0 + timedelta(days=1)
    html = {"Content-Type": "text/html; charset=utf-8"}
    new = page(article(2024, 11, {"威海高新区": WEIHAI}))
    results = {}
    for mode in ("single", "batch"):
        st = open_store(
            db_url if mode == "single" else _second_url(db_url, tmp_path, "pages"),
            parse=json_parse,
            parser_version="test-1",
        )
        try:
            urls = _stored(st, 3)
            items = [
                Response(URL.format(1), 200, {**html, "ETag": '"n1"'}, new, at),  # new installment
                Response(URL.format(2), 200, html, new, at),  # the same bytes at another URL
                Response(  # an edit of a stored page: a revision, new validators
                    urls[0],
                    200,
                    {"ETag": '"e0-2"'},
                    page(article(2024, 1, {"威海高新区": WEIHAI, "昆明高新区": KUNMING})),
                    at,
                ),
                Response(urls[1], 304, {}, None, at),
                Response(  # a stored page's bytes again: only a fetch row
                    urls[2],
                    200,
                    {},
                    page(article(2024, 3, {"威海高新区": WEIHAI, "昆明高新区": KUNMING[:1]})),
                    at,
                ),
                Response(URL.format(4), 404, {}, b"", at, link_installment=(2024, 2)),
                Response(URL.format(5), 200, html, b"<no article>", at),  # a parse error
                Response(URL.format(6), 0, {}, None, at, error="TimeoutError"),
                Response(  # redirected
                    URL.format(7),
                    200,
                    html,
                    page(article(2024, 12)),
                    at,
                    request_url=URL.format(8),
                ),
                Response(URL.format(9), 304, {}, None, at),  # a page the store does not hold
                Response(urls[1], 404, {}, b"", at + timedelta(seconds=1)),  # named again
            ]
            if mode == "single":
                res = [
                    st.record_response(
                        it.url,
                        status=it.status,
                        headers=it.headers,
                        body=it.body,
                        fetched_at=it.fetched_at,
                        error=it.error,
                        request_url=it.request_url,
                        link_installment=it.link_installment,
                    )
                    for it in items
                ]
            else:
                with writes(st) as seen:
                    res = st.record_responses(items)
                # One transaction: one INSERT of the new pages, one of all fetch rows.
                assert sum(s.lstrip().upper().startswith("INSERT INTO FETCHES") for s in seen) == 1
                assert sum(s.lstrip().upper().startswith("INSERT INTO PAGES") for s in seen) == 1
            with Session(st.engine) as s:
                revisions = sorted(
                    (i.year, i.number, r.seq, r.body_hash)
                    for r, i in s.execute(
                        select(Revision, Installment).join(
                            Installment, Installment.id == Revision.installment_id
                        )
                    )
                )
                events = sorted(
                    (e.kind, e.status, e.reason or "", e.installment_id or 0)
                    for e in s.scalars(select(Event))
                )
                validators = st.validators()
            results[mode] = (
                [
                    (
                        r.url,
                        r.status,
                        r.blob_new,
                        r.installment,
                        r.installment_new,
                        r.revision_new,
                        r.suspect,
                        r.error,
                    )
                    for r in res
                ],
                _pages(st),
                _fetches(st),
                revisions,
                events,
                validators,
                _last_seen(st),
            )
            assert len({r.fetch_id for r in res}) == len(items)
        finally:
            st.close()
    assert results["batch"] == results["single"]
    got = results["batch"][0]
    assert [g[2] for g in got[:2]] == [True, False]  # identical bytes: one blob, new once
    assert got[0][4] and got[2][5] and not got[4][5]
