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
