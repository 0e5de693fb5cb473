"""Crawls the daemon could not finish are in the weekly report: a quiet week may be a blind one."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import lxml.html

import reports
import storage
from storage.models import scheduler_runs

BEIJING = timezone(timedelta(hours=8))
SINCE = datetime(2024, 2, 5, tzinfo=BEIJING)
UNTIL = datetime(2024, 2, 12, tzinfo=BEIJING)
HOSTILE = "<script>window.__pwned=1</script>"


def test_failed_and_interrupted_crawls_of_the_period_are_reported(db_url: str) -> None:
    store = storage.open_store(db_url)
    try:
        runs = [
            (
                "crawl",
                SINCE + timedelta(days=1),
                "failed",
                f"crawl timed out after 1800s {HOSTILE}",
            ),
            ("crawl", SINCE + timedelta(days=2), "ok", None),
            ("crawl", SINCE + timedelta(days=3), "interrupted", None),
            ("report", SINCE + timedelta(days=3), "failed", "smtp refused"),  # not a crawl
            ("crawl", SINCE - timedelta(days=1), "failed", "before the period"),
            ("crawl", UNTIL + timedelta(hours=1), "failed", "after the period"),
        ]
        with store.engine.begin() as conn:
            for job, started, status, error in runs:
                conn.execute(
                    scheduler_runs.insert().values(
                        job=job, started=started, finished=started, status=status, error=error
                    )
                )
        data = store.report_data(SINCE, UNTIL)
    finally:
        store.close()

    problems = data["crawl_problems"]
    assert [(p["status"], p["error"]) for p in problems] == [
        ("failed", f"crawl timed out after 1800s {HOSTILE}"),
        ("interrupted", "interrupted"),
    ]
    assert data["summary"]["crawl_problems"] == 2

    html = reports.render(data, "html")
    doc = lxml.html.fromstring(html)
    assert "采集异常" in doc.text_content()
    assert f"crawl timed out after 1800s {HOSTILE}" in doc.text_content()  # shown as text
    assert not doc.xpath("//script")  # never as markup
    md = reports.render(data, "md")
    assert "## 采集异常" in md and "crawl timed out after 1800s" in md


def test_a_week_without_crawl_problems_has_no_such_section(db_url: str) -> None:
    store = storage.open_store(db_url)
    try:
        data = store.report_data(SINCE, UNTIL)
    finally:
        store.close()
    assert data["crawl_problems"] == []
    assert "采集异常" not in reports.render(data, "html")
    assert "采集异常" not in reports.render(data, "md")


def test_installments_no_fetch_of_the_period_saw_are_named(db_url: str) -> None:
    """A week of crawls that never came back to two old pages: the report says which, since its
    "nothing changed" is unchecked for them (a 200 or a 304 of the period counts as seen)."""
    from storage.batch_ingest import NotModified
    from tests.storage.storage_helpers import KUNMING, article, json_parse, page

    store = storage.open_store(db_url, parse=json_parse, parser_version="test-1")
    try:
        before, during = SINCE - timedelta(days=3), SINCE + timedelta(days=2)
        url = "http://www.chinahightech.com/html/hotnews/yaowen/2024/0205/57{}.html".format
        bodies = {
            n: page(
                article(
                    number=n,
                    zones={"昆明高新区": KUNMING},
                    title=f"国家高新区密集部署 2024年这样干!{n}" + (HOSTILE if n == 2 else ""),
                )
            )
            for n in (1, 2, 3, 4)
        }
        for n, body in bodies.items():
            store.record_response(url(n), status=200, headers={}, body=body, fetched_at=before)
        store.record_not_modified([NotModified(url=url(1), headers={}, fetched_at=during)])
        store.record_response(url(3), status=200, headers={}, body=bodies[3], fetched_at=during)
        with store.engine.begin() as conn:
            conn.execute(
                scheduler_runs.insert().values(
                    job="crawl", started=during, finished=during, status="ok", error=None
                )
            )
        data = store.report_data(SINCE, UNTIL)
        unlogged = store.report_data(UNTIL, UNTIL + timedelta(days=7))  # no crawl: not said
    finally:
        store.close()

    crawls = data["crawls"]
    assert (crawls["known_before"], crawls["not_seen"]) == (4, 2)  # 1 by a 304, 3 by a 200
    assert [(i["year"], i["installment"]) for i in crawls["not_seen_items"]] == [
        (2024, 2),
        (2024, 4),
    ]
    doc = lxml.html.fromstring(reports.render(data, "html"))
    said = doc.text_content().split("本期未在网站上见到的已知期次：")
    assert len(said) == 2 and said[1].startswith("2 / 4")
    assert "2024-2 " in said[1] and "2024-4 " in said[1] and "2024-1 " not in said[1]
    assert HOSTILE in said[1] and not doc.xpath("//script")  # the title shown as text
    md = reports.render(data, "md")
    assert "**本期未在网站上见到的已知期次：2 / 4**" in md
    assert unlogged["crawls"]["not_seen"] == 4
    assert "本期未在网站上见到" not in reports.render(unlogged, "md")  # the no-crawl line says it
