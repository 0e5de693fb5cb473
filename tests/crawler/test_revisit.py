"""The revisit policy with the product's defaults (crawler/settings.py): a known article page checked
less than a day ago is not asked again, unless its installment is fresh or troubled.

Real Scrapy crawls of the mirror on 127.0.0.1; what was asked for is read off the server's log.
The mirror's installments were published in 2023-2025, so none of them is fresh.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chihwatch.demo.mirror import MirrorServer
from tests.support.crawlkit import LAYOUT, crawl, local_settings

DAY = 86400.0
S1 = LAYOUT["states"]["state1"]["installments"]
S2 = LAYOUT["states"]["state2"]["installments"]


def _policy(**extra: object) -> dict[str, object]:
    """Politeness off as in every crawler test, but the revisit policy left at its default."""
    settings = local_settings(**extra)
    settings.pop("CHIHWATCH_REVISIT_AFTER")
    return settings


def _articles(log: list, paths: object) -> set[str]:
    return {e.path for e in log if e.path in set(paths)}  # type: ignore[call-overload]


def test_an_unchanged_site_checked_again_within_a_day_costs_only_its_list_pages(
    db_url: str, mirror: MirrorServer
) -> None:
    first = crawl(db_url, mirror, base=_policy())
    assert (first.new_installments, first.not_due) == (9, 0)  # nothing known yet: all fetched

    n = len(mirror.request_log)
    again = crawl(db_url, mirror, base=_policy())
    log = mirror.log_since(n)
    assert _articles(log, S1.values()) == set()  # no article asked for, by the known list or a link
    assert {e.path for e in log} >= {
        "/robots.txt",
        "/html/hotnews/yaowen/",
        "/yaowen/node_479.html",
    }
    assert again.not_due == 9  # ... and the summary says how many it left, and why
    assert (again.fetched, again.not_modified, again.errors) == (0, 0, 0)
    assert again.list_pages > 0

    # A day and a half later every known page is due again: conditional GETs, all 304.
    n = len(mirror.request_log)
    later = crawl(db_url, mirror, base=_policy(CHIHWATCH_CLOCK_OFFSET=1.5 * DAY))
    log = mirror.log_since(n)
    assert _articles(log, S1.values()) == set(S1.values())
    assert all(e.conditional and e.status == 304 for e in log if e.path in set(S1.values()))
    assert (later.not_modified, later.not_due) == (9, 0)


def test_a_new_installment_is_fetched_at_once_an_old_pages_edit_within_a_day(
    db_url: str, mirror: MirrorServer
) -> None:
    from storage import open_store

    crawl(db_url, mirror, base=_policy())
    mirror.set_state("state2")  # 2025-4 published, 2024-2 edited

    n = len(mirror.request_log)
    soon = crawl(db_url, mirror, base=_policy())
    log = mirror.log_since(n)
    assert _articles(log, S2.values()) == {S2["2025-4"]}  # the new one, found on a list page
    assert (soon.new_installments, soon.new_revisions, soon.not_due) == (1, 0, 9)

    # The edit of the old page waits for the page to come due: seen the next day, not lost.
    next_day = crawl(db_url, mirror, base=_policy(CHIHWATCH_CLOCK_OFFSET=1.5 * DAY))
    assert (next_day.new_installments, next_day.new_revisions) == (0, 1)
    store = open_store(db_url)
    try:
        revisions = {
            f"{i['year']}-{i['installment']}": i["revisions"] for i in store.list_installments()
        }
    finally:
        store.close()
    assert revisions["2024-2"] == 2


def test_revisit_plan_keeps_fresh_edited_and_failing_pages_due(
    db_url: str, mirror: MirrorServer
) -> None:
    from storage import open_store

    crawl(db_url, mirror)  # every page, every crawl (the tests' default)
    mirror.set_state("state2")
    crawl(db_url, mirror)  # 2024-2 edited: its second revision is minutes old
    mirror.set_state("state3")
    crawl(db_url, mirror)  # 2023-3 removed (404); the 2024 pages moved (301 to new URLs)

    store = open_store(db_url)
    try:
        now = datetime.now(UTC)
        by_ref = {f"{i['year']}-{i['installment']}": i["url"] for i in store.list_installments()}
        plan = store.revisit_plan(now, timedelta(days=1), timedelta(days=30))
        known = set(plan.due) | plan.not_due
        assert set(plan.due).isdisjoint(plan.not_due)
        assert known == set(store.known_urls())
        assert by_ref["2024-2"] in plan.due  # edited within 30 days: watched on every crawl
        assert mirror.url + S1["2023-3"] in plan.due  # its last answer was a 404
        assert by_ref["2024-1"] in plan.not_due and by_ref["2025-1"] in plan.not_due

        # Published within the fresh window: every page of the mirror is due.
        assert (
            plan.not_due
            and not store.revisit_plan(now, timedelta(days=1), timedelta(days=365 * 10)).not_due
        )
        # Checked more than `after` ago, or `after` 0: due.
        assert not store.revisit_plan(
            now + timedelta(days=2), timedelta(days=1), timedelta(days=30)
        ).not_due
        assert not store.revisit_plan(now, timedelta(0), timedelta(days=30)).not_due
        # A clock set back an hour: pages "fetched in the future" are due, not resting for an hour.
        assert not store.revisit_plan(
            now - timedelta(hours=1), timedelta(days=1), timedelta(days=30)
        ).not_due
    finally:
        store.close()
