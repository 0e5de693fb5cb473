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
