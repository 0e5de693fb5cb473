"""storage/ingest_policy.py on both backends: suspect copies the site keeps serving, long headers.

Issue 10 §3: a copy held back as suspect stays "unchanged (known bytes)" forever and `show` keeps
text that no longer exists; a copy served unchanged on 3 fetches spanning >= 24 h must become a
revision (cause `site`) flagged as a large deletion. Issue 10 §5: long ETag / Last-Modified /
Content-Type made a page unstorable on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

import reports
from storage import Store
from storage.models import Event, Fetch, Page, Revision
from tests.storage.storage_helpers import KUNMING, WEIHAI, article, count, page

URL = "http://www.chinahightech.com/html/hotnews/yaowen/2024/0206/5699999.html"
T0 = datetime(2024, 2, 6, 1, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
HEALTHY = {"威海高新区": WEIHAI, "昆明高新区": KUNMING}
# The site really deletes Kunming's section and most of Weihai's: less than half is left.
SHORT = {"威海高新区": WEIHAI[:1]}


def rec(store: Store, body: bytes | None, at: datetime, status: int = 200, headers=None):  # noqa: ANN001, ANN201
    return store.record_response(
        URL, status=status, headers=headers or {}, body=body, fetched_at=at
    )


def shown_paragraphs(store: Store) -> list[str]:
    shown = store.show("2024-5")
    return [p for z in shown["zones"] for p in z["paragraphs"]]


def events(store: Store, kind: str) -> list[Event]:
    with Session(store.engine) as s:
        return list(s.scalars(select(Event).where(Event.kind == kind).order_by(Event.id)))


def test_shrunk_copy_served_three_times_over_a_day_becomes_a_flagged_revision(
    store: Store,
) -> None:
    rec(store, page(article(zones=HEALTHY)), T0)
    short = page(article(zones=SHORT))
    first = rec(store, short, T0 + 6 * HOUR)
    assert first.suspect and first.suspect.startswith("body shrank"), first
    # The same bytes again 12 h later: 2 fetches, not yet a day: still the old text.
    second = rec(store, short, T0 + 18 * HOUR)
    assert not second.revision_new and count(store, Revision) == 1
    assert WEIHAI[1] in shown_paragraphs(store)
    # Third fetch, 24 h after the first suspect one: the site means it.
    third = rec(store, short, T0 + 30 * HOUR)
    assert third.revision_new and third.suspect is None, third
    with Session(store.engine) as s:
        revs = list(s.scalars(select(Revision).order_by(Revision.seq)))
    assert [(r.seq, r.cause) for r in revs] == [(1, "site"), (2, "site")]
    assert shown_paragraphs(store) == WEIHAI[:1]  # show no longer keeps deleted text
    [ev] = events(store, "confirmed")
    assert ev.reason.startswith("confirmed suspect: body shrank") and "3 fetches" in ev.reason

    data = store.report_data(T0 + 24 * HOUR, T0 + 48 * HOUR)
    [rev] = data["revisions"]
    assert rev["cause"] == "site" and rev["large_deletion"] is True
    assert rev["confirmed_suspect"] == ev.reason
    assert {c["kind"] for c in rev["changes"]} >= {"removed"}
    assert data["suspects"] == []  # the confirmation is on the revision, not a new suspect
    md = reports.render(data, "md")
    html = reports.render(data, "html")
    assert "大段删除" in md and "confirmed suspect: body shrank" in md
    assert "大段删除" in html and "confirmed suspect: body shrank" in html

    # Served on: no further revision, no further event; the page is now healthy (validators kept).
    again = rec(store, short, T0 + 40 * HOUR, headers={"ETag": '"v2"'})
    assert not again.revision_new and again.suspect is None
    assert count(store, Revision) == 2 and len(events(store, "confirmed")) == 1
    assert store.conditional_headers(URL) == {"If-None-Match": '"v2"'}


def test_three_fetches_within_a_day_or_a_good_copy_between_do_not_confirm(store: Store) -> None:
    rec(store, page(article(zones=HEALTHY)), T0)
    short = page(article(zones=SHORT))
    for h in (1, 2, 3, 4, 5):  # five fetches, but only 4 h apart: a blip the site may fix
        rec(store, short, T0 + h * HOUR)
    assert count(store, Revision) == 1
    # The good copy comes back: the count starts again.
    rec(store, page(article(zones=HEALTHY)), T0 + 20 * HOUR)
    rec(store, short, T0 + 21 * HOUR)
    rec(store, short, T0 + 30 * HOUR)
    assert count(store, Revision) == 1 and events(store, "confirmed") == []
    rec(store, short, T0 + 45 * HOUR)  # 3 fetches since the good copy, 24 h apart
    assert count(store, Revision) == 2 and len(events(store, "confirmed")) == 1


def test_same_text_in_other_bytes_counts_and_other_text_restarts(store: Store) -> None:
    rec(store, page(article(zones=HEALTHY)), T0)
    # Boilerplate churn: other bytes, the same shrunk text, every fetch parsed anew.
    rec(store, page(article(zones=SHORT), boilerplate="ad 1"), T0 + 1 * HOUR)
    # Another short text in between: the run of the final text starts after it.
    rec(store, page(article(zones={"威海高新区": WEIHAI[1:]}), boilerplate="x"), T0 + 2 * HOUR)
    rec(store, page(article(zones=SHORT), boilerplate="ad 2"), T0 + 10 * HOUR)
    rec(store, page(article(zones=SHORT), boilerplate="ad 3"), T0 + 20 * HOUR)
    r = rec(store, page(article(zones=SHORT), boilerplate="ad 4"), T0 + 26 * HOUR)
    assert not r.revision_new, "3 fetches since the other text, but only 16 h"
    r = rec(store, page(article(zones=SHORT), boilerplate="ad 5"), T0 + 35 * HOUR)
    assert r.revision_new and len(events(store, "confirmed")) == 1
    assert shown_paragraphs(store) == WEIHAI[:1]


def test_one_time_huge_copy_then_the_normal_copy_again(store: Store) -> None:
    normal = page(article(zones=HEALTHY))
    rec(store, normal, T0)
    # One delivery with the article four times over (a CMS glitch): it grew, so it is a revision.
    huge = {f"{z}": ps * 4 for z, ps in HEALTHY.items()}
    assert rec(store, page(article(zones=huge)), T0 + HOUR).revision_new
    # The normal copy is now "less than half": suspect, until it has been served a day.
    assert rec(store, normal, T0 + 2 * HOUR).suspect
    rec(store, normal, T0 + 14 * HOUR)
    r = rec(store, normal, T0 + 26 * HOUR)
    assert r.revision_new and count(store, Revision) == 3
    assert shown_paragraphs(store) == WEIHAI + KUNMING


def test_a_copy_the_parser_doubts_is_never_confirmed(store: Store) -> None:
    rec(store, page(article(zones=HEALTHY)), T0, headers={"ETag": '"good"'})
    doubtful = page(article(zones=HEALTHY, confidence=0.3))
    for h in (1, 13, 25, 37, 49):
        r = rec(store, doubtful, T0 + h * HOUR, headers={"ETag": f'"doubt-{h}"'})
    assert r.suspect is None and not r.revision_new  # same bytes: no new event, no revision
    # Re-read to see whether it is confirmed, it is still suspect: its validators are not kept
    # (a 304 for them would keep the suspect copy as if it were good).
    assert store.conditional_headers(URL) == {"If-None-Match": '"good"'}
    assert count(store, Revision) == 1 and events(store, "confirmed") == []
    for h in (50, 51):  # nor if the parse fails outright
        rec(store, b"<no article>", T0 + h * HOUR)
    rec(store, b"<no article>", T0 + 80 * HOUR)
    assert count(store, Revision) == 1 and events(store, "confirmed") == []


def test_long_validators_and_content_type_never_make_a_page_unstorable(store: Store) -> None:
    etag = '"' + "e" * 600 + '"'  # > 512
    last_modified = "Tue, 06 Feb 2024 08:53:40 GMT" + " " * 120 + "x"  # > 128
    ctype = "text/html; charset=utf-8; " + "p=" + "v" * 300  # > 255
    r = rec(
        store,
        page(article(zones=HEALTHY)),
        T0,
        headers={"ETag": etag, "Last-Modified": last_modified, "Content-Type": ctype},
    )
    assert r.installment_new and r.revision_new
    with Session(store.engine) as s:
        pg = s.scalar(select(Page).where(Page.url == URL))
        fetch = s.scalar(select(Fetch))
    # A cut validator would be a wrong one: not kept, so the next request is a plain GET.
    assert pg.etag is None and pg.last_modified is None
    assert store.conditional_headers(URL) == {}
    assert fetch.content_type == ctype[:255] and fetch.content_type.startswith(
        "text/html; charset=utf-8"
    )
    # Validators that fit are kept whole.
    rec(store, page(article(zones=HEALTHY)), T0 + HOUR, headers={"ETag": '"' + "e" * 510 + '"'})
    assert store.conditional_headers(URL) == {"If-None-Match": '"' + "e" * 510 + '"'}
