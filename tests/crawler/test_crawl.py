"""The real spider over HTTP: Scrapy in a child process against the mirror on 127.0.0.1.

One walk through the mirror's states per database backend, checking after each crawl what the store
holds and, from the server's request log, what the crawler asked for.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chihwatch.demo.mirror import LoggedRequest, MirrorServer
from tests.support.crawlkit import LAYOUT, crawl

NEVER = LAYOUT["never_requested"]


def _assert_polite(log: list[LoggedRequest], mirror: MirrorServer) -> None:
    """Nothing disallowed, offsite or sidebar-only was asked for; every request says who we are."""
    paths = [e.path for e in log]
    assert NEVER["robots_disallowed"] not in paths
    assert NEVER["sidebar_only"] not in paths
    assert {e.host for e in log} == {f"127.0.0.1:{mirror.port}"}  # never localhost:PORT (offsite)
    assert all(not p.startswith("mailto") for p in paths)
    assert all(
        "chihwatch/" in e.headers.get("User-Agent", "") and "+http" in e.headers["User-Agent"]
        for e in log
    )
    # robots.txt first, before any page.
    assert log[0].path == "/robots.txt"


def _by_ref(store) -> dict[str, dict]:
    return {f"{i['year']}-{i['installment']}": i for i in store.list_installments()}


def test_crawl_through_the_mirror_states(db_url: str, mirror: MirrorServer) -> None:
    from storage import open_store

    base = mirror.url
    t0 = datetime.now(UTC) - timedelta(seconds=1)

    # -- state 1: the series so far ---------------------------------------------------------
    s1 = LAYOUT["states"]["state1"]["installments"]
    summary = crawl(db_url, mirror)
    log1 = mirror.log_since(0)
    _assert_polite(log1, mirror)
    assert summary.new_installments == len(s1) == 9
    assert (summary.fetched, summary.not_modified, summary.errors) == (9, 0, 0)
    store = open_store(db_url)
    inst = _by_ref(store)
    assert set(inst) == set(s1)  # 2023 （三） included: other years are collected, tagged by year
    assert {ref: i["url"] for ref, i in inst.items()} == {ref: base + p for ref, p in s1.items()}
    assert all(i["revisions"] == 1 for i in inst.values())
    ids1 = {ref: i["id"] for ref, i in inst.items()}
    # Each article fetched exactly once; list pages of both designs read, pagination followed.
    article_gets = [e.path for e in log1 if e.path in s1.values()]
    assert sorted(article_gets) == sorted(s1.values())
    assert {"/html/hotnews/yaowen/", "/html/hotnews/yaowen/2.html", "/yaowen/node_479.html"} <= {
        e.path for e in log1
    }

    # -- state 1 again: nothing changed, so only conditional requests answered 304 ------------
    n = len(mirror.request_log)
    summary = crawl(db_url, mirror)
    again = mirror.log_since(n)
    _assert_polite(again, mirror)
    assert again and all(e.conditional and e.status == 304 and e.bytes == 0 for e in again), [
        (e.path, e.status, e.conditional) for e in again if not (e.conditional and e.status == 304)
    ]
    assert {e.path for e in again} >= set(s1.values())
    assert (
        summary.fetched,
        summary.not_modified,
        summary.new_installments,
        summary.new_revisions,
    ) == (0, 9, 0, 0)

    # -- state 2: a new installment, an edited one ----------------------------------------------
    mirror.set_state("state2")
    n = len(mirror.request_log)
    summary = crawl(db_url, mirror)
    log2 = mirror.log_since(n)
    _assert_polite(log2, mirror)
    assert (summary.new_installments, summary.new_revisions, summary.errors) == (1, 1, 0)
    full = {e.path for e in log2 if e.status == 200}
    edited = LAYOUT["states"]["state2"]["edited"]
    assert set(edited) == {"2024-2"}
    new_path = LAYOUT["states"]["state2"]["installments"]["2025-4"]
    # Only the new and the edited article came with a body; the rest were 304s.
    assert full & set(LAYOUT["states"]["state2"]["installments"].values()) == {
        new_path,
        s1["2024-2"],
    }
    inst = _by_ref(store)
    assert inst["2025-4"]["url"] == base + new_path and inst["2025-4"]["revisions"] == 1
    assert inst["2024-2"]["revisions"] == 2
    diff = store.diff("2024-2")
    change = edited["2024-2"]
    changed = [c for c in diff["changes"] if c["kind"] == "changed"]
    added = [c for c in diff["changes"] if c["kind"] == "added"]
    assert len(changed) == 1 and changed[0]["zone"] == change["zone"]
    assert change["before"] in changed[0]["before"] and change["after"] in changed[0]["after"]
    assert len(added) == 1 and added[0]["after"].startswith("会议还要求")

    # -- state 3: a page removed, the redesign moves every 2024 installment ----------------------
    mirror.set_state("state3")
    n = len(mirror.request_log)
    summary = crawl(db_url, mirror)
    log3 = mirror.log_since(n)
    _assert_polite(log3, mirror)
    removed = s1["2023-3"]
    assert (removed, 404) in {(e.path, e.status) for e in log3}
    assert summary.new_installments == 0 and summary.new_revisions == 0
    assert summary.errors == 1 and "HTTP 404" in summary.error_messages[0]
    inst = _by_ref(store)
    assert set(inst) == set(s1) | {"2025-4"}  # nothing lost, nothing duplicated
    assert {ref: i["id"] for ref, i in inst.items() if ref in ids1} == ids1
    moved = LAYOUT["states"]["state3"]["redirects"]
    for ref in ("2024-1", "2024-2", "2024-3", "2024-4", "2024-5"):
        old = s1[ref]
        assert inst[ref]["url"] == base + moved[old]  # now at its newer-style URL ...
        assert inst[ref]["revisions"] == (
            2 if ref == "2024-2" else 1
        )  # ... with its history, no false revision
    assert inst["2023-3"]["revisions"] == 1  # a 404 is not a content change
    report = store.report_data(t0, datetime.now(UTC) + timedelta(seconds=1))
    assert [(a["url"], a["status"]) for a in report["availability"]] == [(base + removed, 404)]

    # -- state 3 again: 304s, plus the 301s of moved pages and the 404 of the removed one --------
    n = len(mirror.request_log)
    summary = crawl(db_url, mirror)
    again = mirror.log_since(n)
    assert all(e.conditional for e in again)
    assert {e.status for e in again} == {301, 304, 404}
    assert sum(e.bytes for e in again if e.status != 404) == 0
    assert (summary.fetched, summary.new_installments, summary.new_revisions) == (0, 0, 0)
    store.close()
