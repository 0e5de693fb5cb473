"""Issue 7 rules of the store on both backends: no false alarms, never lose a real change."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import Store
from storage.models import Event, Revision
from tests.storage.storage_helpers import KUNMING, WEIHAI, article, count, page

OLD = "http://www.chinahightech.com/html/hotnews/yaowen/2024/0206/5699999.html"
NEW = "http://www.chinahightech.com/yaowen/2024-02/06/content_201845.html"
T0 = datetime(2024, 2, 6, 1, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
HEALTHY = {"威海高新区": WEIHAI, "昆明高新区": KUNMING}
# The same installment edited by the site: 5% -> 6% in Kunming's target.
EDITED = {"威海高新区": WEIHAI, "昆明高新区": [KUNMING[0], KUNMING[1].replace("5%", "6%")]}


def rec(
    store: Store,
    body: bytes | None,
    *,
    url: str = OLD,
    at: datetime = T0,
    status: int = 200,
    request_url: str | None = None,
    link: tuple[int, int | None] | None = None,
):  # noqa: ANN201
    return store.record_response(
        url,
        status=status,
        headers={},
        body=body,
        fetched_at=at,
        request_url=request_url,
        link_installment=link,
    )


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


# -- rule 3: a broken first copy of a new installment ------------------------------------------------


def test_suspect_first_copy_is_provisional_and_the_healthy_copy_is_the_installment(
    store: Store,
) -> None:
    cut = replace(
        article(zones={"威海高新区": WEIHAI[:1]}),
        warnings=("page truncated: no </html>",),
        truncated=True,
        confidence=0.4,
    )
    first = rec(store, page(cut))
    assert first.suspect and first.suspect.startswith(
        "new installment, its first copy looks broken"
    )
    assert not first.installment_new and not first.revision_new
    # Not lost: the installment is listed, its content marked provisional.
    listed = store.list_installments()
    assert [(i["year"], i["installment"], i["revisions"]) for i in listed] == [(2024, 5, 1)]
    assert store.show("2024-5")["revision"]["provisional"] is True
    data1 = store.report_data(T0, T0 + HOUR)
    assert data1["new_installments"] == [] and data1["revisions"] == []
    assert [s["title"] for s in data1["suspects"]] == [cut.title]
    assert "truncated" in data1["suspects"][0]["reason"]
    # A second broken copy is a suspect, and changes nothing.
    assert rec(store, page(cut, "x"), at=T0 + HOUR / 2).suspect
    # The healthy copy replaces the provisional revision: new now, not an edit.
    healthy = rec(store, page(article(zones=HEALTHY)), at=T0 + HOUR)
    assert healthy.installment_new and healthy.revision_new and healthy.suspect is None
    revs = revisions(store)
    assert [(r.seq, r.provisional) for r in revs] == [(1, False)]
    data2 = store.report_data(T0 + HOUR, T0 + 2 * HOUR)
    assert [n["zones"] for n in data2["new_installments"]] == [["威海高新区", "昆明高新区"]]
    assert data2["revisions"] == [] and data2["suspects"] == []
    # A later real edit is an ordinary revision against the healthy content.
    assert rec(store, page(article(zones=EDITED)), at=T0 + 2 * HOUR).revision_new
    data3 = store.report_data(T0 + 2 * HOUR, T0 + 3 * HOUR)
    assert [c["kind"] for r in data3["revisions"] for c in r["changes"]] == ["changed"]


def test_low_confidence_first_copy_is_provisional(store: Store) -> None:
    res = rec(store, page(article(zones=HEALTHY, confidence=0.3)))
    assert res.suspect == "new installment, its first copy looks broken: low parse confidence 0.30"
    assert store.report_data(T0, T0 + HOUR)["summary"]["new_installments"] == 0


def test_same_text_in_other_zones_is_not_a_site_edit(store: Store) -> None:
    merged = {"威海高新区": WEIHAI + KUNMING}  # headings lost: one zone holds everything
    first = rec(store, page(article(zones=merged)))
    assert first.installment_new and first.suspect is None
    better = rec(store, page(article(zones=HEALTHY)), at=T0 + HOUR)
    assert not better.revision_new and better.suspect is None
    assert count(store, Revision) == 1
    assert [z["name"] for z in store.show("2024-5")["zones"]] == ["威海高新区", "昆明高新区"]
    assert store.report_data(T0 + HOUR, T0 + 2 * HOUR)["revisions"] == []
    # The other way round (fewer zones, same text) is zones lost: a suspect, nothing changes.
    worse = rec(store, page(article(zones=merged), "x"), at=T0 + 2 * HOUR)
    assert worse.suspect == "zone headings lost: the same text in 1 of 2 zones"
    assert [z["name"] for z in store.show("2024-5")["zones"]] == ["威海高新区", "昆明高新区"]
    # Same zones, a word changed: a real edit is still a revision.
    assert rec(store, page(article(zones=EDITED)), at=T0 + 3 * HOUR).revision_new


def test_text_cut_mid_paragraph_is_a_suspect_but_deleted_paragraphs_are_an_edit(
    store: Store,
) -> None:
    long = {"威海高新区": WEIHAI, "昆明高新区": KUNMING}
    rec(store, page(article(zones=long)))
    # Cut inside Kunming's last paragraph (more than half the body kept, parser saw nothing);
    # paragraphs: the intro, two of Weihai, two of Kunming.
    cut = {"威海高新区": WEIHAI, "昆明高新区": [KUNMING[0], KUNMING[1][:20]]}
    res = rec(store, page(article(zones=cut)), at=T0 + HOUR)
    assert res.suspect == "text cut off mid-paragraph after 5 of 5 paragraphs"
    assert count(store, Revision) == 1
    # Whole paragraphs deleted by an editor: a revision, never lost.
    edit = {"威海高新区": WEIHAI, "昆明高新区": [KUNMING[0]]}
    res2 = rec(store, page(article(zones=edit)), at=T0 + 2 * HOUR)
    assert res2.revision_new and res2.suspect is None
    changes = store.report_data(T0 + 2 * HOUR, T0 + 3 * HOUR)["revisions"][0]["changes"]
    assert [(c["kind"], c["before"]) for c in changes] == [("removed", KUNMING[1])]


def test_validators_come_from_the_last_good_copy(store: Store) -> None:
    """A suspect copy's ETag is not sent back: a 304 must never pin the store to a broken copy."""

    def rec_h(body: bytes, etag: str, at: datetime):  # noqa: ANN202
        return store.record_response(
            OLD, status=200, headers={"ETag": etag}, body=body, fetched_at=at
        )

    cut = replace(
        article(zones=HEALTHY), warnings=("page truncated",), truncated=True, confidence=0.4
    )
    assert rec_h(page(cut), '"cut"', T0).suspect  # provisional first copy
    assert store.conditional_headers(OLD) == {}  # so the next fetch is a full one
    assert rec_h(page(article(zones=HEALTHY)), '"good"', T0 + HOUR).installment_new
    assert store.conditional_headers(OLD) == {"If-None-Match": '"good"'}
    assert rec_h(page(cut), '"cut2"', T0 + 2 * HOUR).suspect
    assert store.conditional_headers(OLD) == {"If-None-Match": '"good"'}
    assert not rec_h(page(cut), '"cut2"', T0 + 3 * HOUR).revision_new  # same broken bytes
    assert store.conditional_headers(OLD) == {"If-None-Match": '"good"'}
    assert not rec_h(page(article(zones=HEALTHY)), '"good2"', T0 + 4 * HOUR).revision_new
    assert store.conditional_headers(OLD) == {"If-None-Match": '"good2"'}


def test_the_truncation_verdict_is_the_parsers_typed_field_not_a_warning_text(
    store: Store,
) -> None:
    # A warning that mentions truncation decides nothing: the field does.
    worded = replace(article(zones=HEALTHY), warnings=("a table looked truncated",))
    assert rec(store, page(worded)).suspect is None
    flagged = replace(article(zones=EDITED), truncated=True)  # confident, yet cut: still a suspect
    reason = rec(store, page(flagged), at=T0 + HOUR).suspect
    assert reason == "page truncated: cut off before its end (confidence 0.95)"
