"""The Store on both backends: dedup, revisions without noise, moves, reparse, suspects, atomicity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from chihwatch.errors import DatabaseError, NotFound
from parsers.model import Article, Zone
from storage import Store, open_store
from storage.models import Blob, Event, Fetch, Installment, Page, Revision, Section
from tests.storage.storage_helpers import KUNMING, WEIHAI, article, count, json_parse, page

URL = "http://www.chinahightech.com/html/hotnews/yaowen/2024/0206/5699999.html"
T0 = datetime(2024, 2, 6, 1, 0, tzinfo=UTC)


def rec(
    store: Store,
    body: bytes | None,
    *,
    url: str = URL,
    at: datetime = T0,
    status: int = 200,
    headers: dict[str, str] | None = None,
):  # noqa: ANN201
    return store.record_response(
        url, status=status, headers=headers or {}, body=body, fetched_at=at
    )


def test_identical_bytes_add_only_a_fetch_row(store: Store) -> None:
    body = page(article(zones={"威海高新区": WEIHAI}))
    first = rec(store, body)
    second = rec(store, body, at=T0 + timedelta(hours=1))
    assert (first.blob_new, first.installment_new, first.revision_new) == (True, True, True)
    assert (second.blob_new, second.installment_new, second.revision_new) == (False, False, False)
    assert second.installment == ("国家高新区密集部署", 2024, 5)
    assert count(store, Blob) == 1
    assert count(store, Fetch) == 2
    assert count(store, Revision) == 1
    with Session(store.engine) as s:
        assert [f.blob_sha for f in s.scalars(select(Fetch))] == [s.scalar(select(Blob.sha256))] * 2
        inst = s.scalar(select(Installment))
        assert inst is not None and inst.last_seen == datetime(2024, 2, 6, 2, 0)


def test_blob_is_compressed_and_round_trips(store: Store) -> None:
    from storage.store import decompress

    body = page(article(zones={"威海高新区": WEIHAI * 20}))
    rec(store, body)
    with Session(store.engine) as s:
        blob = s.scalar(select(Blob))
        assert blob is not None
        assert blob.size == len(body) and len(blob.data) < len(body) / 3
        assert decompress(blob.data, blob.compression) == body


def test_boilerplate_churn_is_not_a_revision(store: Store) -> None:
    art = article(zones={"威海高新区": WEIHAI})
    rec(store, page(art, boilerplate="排行: 甲 乙 丙"))
    res = rec(store, page(art, boilerplate="排行: 丁 戊; 广告"), at=T0 + timedelta(days=1))
    # Whitespace-only differences in the body are churn too (norm_text).
    spaced = article(
        zones={"威海高新区": ["\u3000\u3000" + WEIHAI[0] + "\xa0 ", WEIHAI[1] + "\u3000"]}
    )
    res2 = rec(store, page(spaced), at=T0 + timedelta(days=2))
    assert res.blob_new and not res.revision_new
    assert res2.blob_new and not res2.revision_new and res2.suspect is None
    assert count(store, Blob) == 3
    assert count(store, Revision) == 1


def test_real_change_makes_a_revision_and_a_diff(store: Store) -> None:
    rec(store, page(article(zones={"昆明高新区": KUNMING})))
    edited = [KUNMING[0], KUNMING[1].replace("增长5%", "增长6%")]
    res = rec(store, page(article(zones={"昆明高新区": edited})), at=T0 + timedelta(days=1))
    assert res.revision_new and not res.installment_new
    d = store.diff("2024-5")
    assert (d["from"]["revision"], d["to"]["revision"]) == (1, 2)
    assert d["changes"] == [
        {
            "zone": "昆明高新区",
            "kind": "changed",
            "before": KUNMING[1],
            "after": edited[1],
            "inline": [
                ["=", "会议提出,2024年,昆明高新区经济社会发展主要目标是:固定资产投资"],
                ["-", "增长5%"],
                ["+", "增长6%"],
                ["=", ",规模以上工业产值增长8%。"],
            ],
        }
    ]
    # Explicit revisions, and the same diff reached by URL and by id.
    assert store.diff(URL, from_rev=1, to_rev=2)["changes"] == d["changes"]
    assert store.diff(str(d["id"]), from_rev=2, to_rev=1)["changes"][0]["inline"][1] == [
        "-",
        "增长6%",
    ]


def test_moved_url_stays_one_installment(store: Store) -> None:
    art = article(zones={"威海高新区": WEIHAI})
    rec(store, page(art))
    moved = "http://www.chinahightech.com/html/2024/0206/moved.html"
    res = rec(
        store, page(art, boilerplate="new template chrome"), url=moved, at=T0 + timedelta(days=3)
    )
    assert res.installment == ("国家高新区密集部署", 2024, 5)
    assert not res.installment_new and not res.revision_new
    rows = store.list_installments()
    assert len(rows) == 1 and rows[0]["url"] == moved and rows[0]["revisions"] == 1
    assert store.show(URL)["id"] == store.show(moved)["id"] == rows[0]["id"]
    assert store.show("2024-5")["urls"] == [URL, moved]


def test_heading_alias_is_the_same_zone(store: Store) -> None:
    rec(
        store,
        page(article(zones={"天津高新区": KUNMING}, headings={"天津高新区": "天津滨海高新区"})),
    )
    res = rec(store, page(article(zones={"天津高新区": KUNMING})), at=T0 + timedelta(days=1))
    assert not res.revision_new
    assert store.show("2024-5")["zones"][0]["heading"] == "天津滨海高新区"


def _changed_parser(html: bytes, url: str | None = None, headers: object = None) -> Article:
    art = json_parse(html, url)
    # "parser v2" also strips the dateline sentence of every zone's first paragraph.
    zones = tuple(
        Zone(z.name, (z.paragraphs[0].split(",", 1)[-1],) + z.paragraphs[1:]) for z in art.zones
    )
    return Article(**{**art.__dict__, "zones": zones})


def test_reparse_marks_parser_cause_and_adds_nothing_when_unchanged(db_url: str) -> None:
    st = open_store(db_url, parse=json_parse, parser_version="1")
    rec(st, page(article(zones={"威海高新区": WEIHAI})))
    rec(st, page(article(2024, 6, zones={"昆明高新区": KUNMING})), url=URL + "?6")
    assert st.reparse() == {
        "pages": 2,
        "parsed": 2,
        "unchanged": 2,
        "new_revisions": 0,
        "new_installments": 0,
        "suspects": 0,
        "errors": 0,
    }
    assert count(st, Revision) == 2 and count(st, Fetch) == 2
    st.close()
    st2 = open_store(db_url, parse=_changed_parser, parser_version="2")
    counts = st2.reparse()
    assert counts["new_revisions"] == 2 and counts["unchanged"] == 0
    d = st2.diff("2024-5")
    assert d["to"]["cause"] == "parser" and d["to"]["parser_version"] == "2"
    assert d["from"]["cause"] == "site"
    assert (
        d["changes"][0]["before"] == WEIHAI[0]
        and d["changes"][0]["after"] == WEIHAI[0].split(",", 1)[1]
    )
    assert count(st2, Fetch) == 2  # reparse fetches nothing
    assert st2.reparse()["new_revisions"] == 0  # idempotent
    st2.close()


def test_failure_mid_write_leaves_nothing_half_written(store: Store) -> None:
    rec(store, page(article(zones={"威海高新区": WEIHAI})))
    with Session(store.engine) as s, s.begin():
        inst = s.scalar(select(Installment))
        assert inst is not None
        # A concurrent writer's revision 2, which the store does not know about (its pointer
        # still says revision 1): the store's own revision 2 will hit the unique constraint
        # after it has written the blob, the fetch row and the page update.
        s.add(
            Revision(
                installment_id=inst.id,
                seq=2,
                created_at=datetime(2024, 1, 1),
                cause="site",
                parser_version="x",
                body_hash="0" * 64,
                body_chars=1,
                title="",
                intro="",
            )
        )
    before = {m.__name__: count(store, m) for m in (Blob, Fetch, Revision, Section, Event, Page)}
    with Session(store.engine) as s:
        last_before = s.scalar(select(Page.last_fetched))
    changed = page(article(zones={"威海高新区": [WEIHAI[0], "全新的一段。"]}))
    with pytest.raises(DatabaseError) as exc:
        rec(store, changed, at=T0 + timedelta(days=1))
    assert "\n" not in str(exc.value)
    after = {m.__name__: count(store, m) for m in (Blob, Fetch, Revision, Section, Event, Page)}
    assert after == before
    with Session(store.engine) as s:
        assert s.scalar(select(Page.last_fetched)) == last_before
        assert s.scalar(select(Page.last_blob_sha)) is not None
    # The store still works afterwards.
    assert not rec(
        store, page(article(zones={"威海高新区": WEIHAI})), at=T0 + timedelta(days=2)
    ).revision_new


def test_body_loss_is_a_suspect_not_a_revision(store: Store) -> None:
    rec(store, page(article(zones={"威海高新区": WEIHAI, "昆明高新区": KUNMING})))
    lost = article(zones={"威海高新区": WEIHAI[:1]}, intro=[])
    res = rec(store, page(lost), at=T0 + timedelta(days=1))
    assert res.suspect is not None and res.suspect.startswith("body shrank to")
    assert not res.revision_new and count(store, Revision) == 1 and count(store, Blob) == 2
    no_zones = article(zones={}, intro=["连日来,多个国家高新区召开会议。" * 30])
    res2 = rec(store, page(no_zones), at=T0 + timedelta(days=2))
    assert res2.suspect == "all 2 zones lost"
    low = article(zones={"威海高新区": WEIHAI, "昆明高新区": KUNMING}, confidence=0.3)
    res3 = rec(store, page(low, "x"), at=T0 + timedelta(days=3))
    assert res3.suspect == "low parse confidence 0.30"
    assert count(store, Revision) == 1
    data = store.report_data(T0, T0 + timedelta(days=7))
    assert [s["reason"] for s in data["suspects"]] == [res.suspect, res2.suspect, res3.suspect]
    assert data["summary"]["suspects"] == 3 and data["revisions"] == []
    # The next healthy page is compared with the last good revision: no change, no alarm.
    healthy = rec(
        store,
        page(article(zones={"威海高新区": WEIHAI, "昆明高新区": KUNMING}), "y"),
        at=T0 + timedelta(days=4),
    )
    assert healthy.suspect is None and not healthy.revision_new


def test_parse_error_keeps_the_raw_page(store: Store) -> None:
    res = rec(store, b"<html>not an article</html>", url="http://x/list.html")
    assert res.error is not None and res.error.startswith("NoArticle")
    assert res.installment is None and count(store, Blob) == 1
    rec(store, page(article(zones={"威海高新区": WEIHAI})))
    res2 = rec(store, b"<html>template changed</html>", at=T0 + timedelta(days=1))
    assert res2.suspect is not None and res2.suspect.startswith("parse failed: NoArticle")
    assert res2.installment == ("国家高新区密集部署", 2024, 5) and count(store, Revision) == 1
    with Session(store.engine) as s:
        kinds = sorted(s.scalars(select(Event.kind)))
    assert kinds == ["parse_error", "suspect"]
    assert sorted(store.known_urls()) == sorted([URL, "http://x/list.html"])


def test_404_and_5xx_are_availability_events(store: Store) -> None:
    rec(
        store,
        page(article(zones={"威海高新区": WEIHAI})),
        headers={"ETag": '"abc"', "Last-Modified": "Tue, 06 Feb 2024 00:53:40 GMT"},
    )
    assert store.conditional_headers(URL) == {
        "If-None-Match": '"abc"',
        "If-Modified-Since": "Tue, 06 Feb 2024 00:53:40 GMT",
    }
    assert store.conditional_headers("http://unknown/") == {}
    r404 = rec(store, b"<html>404</html>", status=404, at=T0 + timedelta(hours=1))
    r503 = rec(store, None, status=503, at=T0 + timedelta(hours=2))
    r304 = rec(store, None, status=304, at=T0 + timedelta(hours=3))
    rerr = store.record_response(
        URL, status=0, headers={}, body=None, error="timeout", fetched_at=T0 + timedelta(hours=4)
    )
    assert rerr.error == "timeout"
    for r in (r404, r503, r304):
        assert not r.blob_new and not r.revision_new and r.suspect is None
    assert count(store, Blob) == 1 and count(store, Revision) == 1 and count(store, Fetch) == 5
    data = store.report_data(T0, T0 + timedelta(days=1))
    assert [(a["status"], a["url"]) for a in data["availability"]] == [(404, URL), (503, URL)]
    assert data["revisions"] == [] and data["summary"]["suspects"] == 0
    # An unknown page's 404 is not an event of any installment.
    rec(store, None, status=404, url="http://x/other")
    assert count(store, Event) == 2
    # Still the same conditional headers: they come from the last 200.
    assert store.conditional_headers(URL)["If-None-Match"] == '"abc"'


def test_unknown_installment_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.show("2030-1")
    with pytest.raises(NotFound):
        store.diff("999")
    with pytest.raises(NotFound):
        store.show("http://nowhere/")
    rec(store, page(article(zones={"威海高新区": WEIHAI})))
    with pytest.raises(NotFound):
        store.diff("2024-5", from_rev=1, to_rev=7)


def test_database_timestamps_and_schema(store: Store, db_url: str) -> None:
    from storage.db import current_revision, head_revision

    assert current_revision(store.engine) == head_revision()
    st = store.status()
    assert st["schema"] == head_revision() and st["installments"] == 0
    if db_url.startswith("sqlite"):
        with store.engine.connect() as c:
            assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert c.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_migrations_match_the_models(store: Store) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from storage.models import Base

    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diffs == []


def test_zone_aliases_fold_to_the_gazetteer_name(store: Store) -> None:
    # An article naming a zone by its alias (e.g. stored by an older parser) is the canonical zone.
    rec(store, page(article(zones={"天津滨海高新区": KUNMING})))
    shown = store.show("2024-5")["zones"][0]
    assert (shown["name"], shown["heading"]) == ("天津高新区", "天津滨海高新区")
    res = rec(store, page(article(zones={"天津高新区": KUNMING})), at=T0 + timedelta(days=1))
    assert not res.revision_new


def test_concurrent_writers_of_one_new_page(store: Store) -> None:
    from concurrent.futures import ThreadPoolExecutor

    body = page(article(zones={"威海高新区": WEIHAI}))
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda k: rec(store, body, at=T0 + timedelta(minutes=k)), range(8)))
    assert sum(r.blob_new for r in results) == 1
    assert sum(r.installment_new for r in results) == 1
    assert sum(r.revision_new for r in results) == 1
    assert (count(store, Page), count(store, Blob), count(store, Fetch)) == (1, 1, 8)
    assert (count(store, Installment), count(store, Revision)) == (1, 1)
