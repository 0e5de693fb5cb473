"""Issue 7 rules of the store on both backends: no false alarms, never lose a real change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from storage_helpers import KUNMING, WEIHAI, article, count, page

from storage import Store
from storage.models import Event, Revision

OLD = "http://www.chinahightech.com/html/hotnews/yaowen/2024/0206/5699999.html"
NEW = "http://www.chinahightech.com/yaowen/2024-02/06/content_201845.html"
T0 = datetime(2024, 2, 6, 1, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
HEALTHY = {"威海高新区": WEIHAI, "昆明高新区": KUNMING}
# The same installment edited by the site: 5% -> 6% in Kunming's target.
EDITED = {"威海高新区": WEIHAI, "昆明高新区": [KUNMING[0], KUNMING[1].replace("5%", "6%")]}


def rec(store: Store, body: bytes | None, *, url: str = OLD, at: datetime = T0, status: int = 200,
        request_url: str | None = None, link: tuple[int, int | None] | None = None):  # noqa: ANN201
    return store.record_response(url, status=status, headers={}, body=body, fetched_at=at,
                                 request_url=request_url, link_installment=link)


def revisions(store: Store) -> list[Revision]:
    with Session(store.engine) as s:
        return list(s.scalars(select(Revision).order_by(Revision.installment_id, Revision.seq)))


# -- rule 1: an error at a moved installment's new URL is about the known installment --------------


def test_error_at_redirect_target_is_an_availability_event_of_the_requested_installment(
    store: Store,
) -> None:
    rec(store, page(article(zones=HEALTHY)))
    r500 = rec(store, b"<h1>500</h1>", url=NEW, status=500, at=T0 + HOUR, request_url=OLD)
    assert not r500.revision_new and r500.suspect is None
    # Reached straight from a list page: the link's (year, number) names the installment.
    r404 = rec(store, None, url=NEW, status=404, at=T0 + 2 * HOUR, link=(2024, 5))
    # A link naming no known installment, or none at all: an unknown page's error, no event.
    rec(store, None, url=NEW + "?x", status=404, at=T0 + 3 * HOUR, link=(2024, 9))
    rec(store, None, url=NEW + "?y", status=404, at=T0 + 3 * HOUR, request_url=NEW + "?x")
    assert r404.suspect is None and count(store, Event) == 2
    data = store.report_data(T0, T0 + timedelta(days=1))
    title = data["new_installments"][0]["title"]
    assert [(a["url"], a["status"], a["title"]) for a in data["availability"]] == [
        (NEW, 500, title),
        (NEW, 404, title),
    ]
    assert data["revisions"] == [] and data["suspects"] == []


def test_unparsable_page_at_redirect_target_is_a_suspect_of_the_installment(store: Store) -> None:
    rec(store, page(article(zones=HEALTHY)))
    res = rec(store, b"<no article>", url=NEW, at=T0 + HOUR, request_url=OLD)
    assert res.suspect is not None and res.suspect.startswith("parse failed")
    data = store.report_data(T0 + HOUR, T0 + 2 * HOUR)
    assert [(s["url"], s["kind"]) for s in data["suspects"]] == [(NEW, "suspect")]
    assert data["suspects"][0]["title"] == store.show("2024-5")["title"]


# -- rule 2: a URL's unchanged good text is never news again ----------------------------------------


def test_broken_delivery_does_not_make_the_unchanged_copy_news_again(store: Store) -> None:
    rec(store, page(article(zones=EDITED)), url=OLD)  # revision 1
    rec(store, page(article(zones=HEALTHY)), url=NEW, at=T0 + HOUR)  # revision 2: they disagree
    rec(store, page(article(zones=EDITED)), url=OLD, at=T0 + 2 * HOUR)  # stale copy: not an edit
    assert [r.body_hash for r in revisions(store)][-1] != revisions(store)[0].body_hash
    assert count(store, Revision) == 2
    broken = rec(store, b"\x89PNG" + bytes(range(256)), url=OLD, at=T0 + 3 * HOUR)
    assert broken.suspect is not None and not broken.revision_new
    # OLD's good bytes again after the broken ones: not news (the fuzz suite's flip-back).
    again = rec(store, page(article(zones=EDITED)), url=OLD, at=T0 + 4 * HOUR)
    assert not again.revision_new and again.suspect is None
    # OLD's unchanged text in other bytes (boilerplate churn) still does not undo NEW's edit.
    stale = rec(store, page(article(zones=EDITED), "其他排行"), url=OLD, at=T0 + 5 * HOUR)
    assert not stale.revision_new and stale.suspect is None
    assert count(store, Revision) == 2
    assert "增长5%" in store.show("2024-5")["zones"][1]["paragraphs"][1]
    # A real change at the stale URL is a revision.
    third = {"威海高新区": WEIHAI, "昆明高新区": [KUNMING[0], KUNMING[1].replace("5%", "7%")]}
    assert rec(store, page(article(zones=third)), url=OLD, at=T0 + 6 * HOUR).revision_new
    # Reparse with the same parser flips nothing back either.
    assert store.reparse()["new_revisions"] == 0 and count(store, Revision) == 3
    data = store.report_data(T0 + HOUR, T0 + timedelta(days=1))
    assert [r["revision"] for r in data["revisions"]] == [2, 3] and data["summary"]["suspects"] == 1
