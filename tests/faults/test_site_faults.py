"""Faults from the site, one test each: what chihwatch records, what the report says, and recovery.

Every test starts from a store that crawled the healthy mirror (state1), damages one installment's
page with a fault from chihwatch.faults, crawls for real (Scrapy in a child process, over HTTP on
127.0.0.1), and checks:

  * the fetch row, event and report the fault should leave — and nothing else: no revision,
    no new installment, every other page still re-checked (the crawl went on);
  * the store is consistent;
  * the next healthy crawl (state2: 2024 ② edited, 2025 ④ published) records exactly the real
    changes — the edit of ② with its text, the new ④ — and no revision anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

import reports
from chihwatch.demo.mirror import MirrorServer
from storage import open_store
from tests.support.crawlkit import LAYOUT, crawl_fast, now, path_of, record_figures
from tests.support.faults import CATALOGUE, FaultPlan
from tests.support.storecheck import consistency_problems, snapshot

EDITED = "2024-2"  # the installment state2 edits (fixtures/site/layout.json)


@dataclass(frozen=True)
class Case:
    fault: str
    target: str  # installment key whose page is damaged
    outcome: str  # "availability" | "network" | "suspect" | "unchanged"
    status: int | None = None  # HTTP status of the recorded fetch, when there is one
    error: str | None = None  # text the fetch row's error must contain


CASES = [
    Case("http500", EDITED, "availability", 500),
    Case("http503", EDITED, "availability", 503),
    Case("gone404", EDITED, "availability", 404),
    Case("timeout", EDITED, "network", error="took longer than"),
    Case("very_slow", EDITED, "network", error="took longer than"),
    Case("drop", EDITED, "network", error="DataLoss"),
    Case("huge", EDITED, "network", error="max size"),
    Case("gzip_bomb", EDITED, "network", error="size"),
    Case("redirect_loop", EDITED, "network", error="redirect"),
    Case("redirect_offsite_ip", EDITED, "network", error="out of scope"),
    Case("redirect_offsite_name", EDITED, "network", error="out of scope"),
    Case("redirect_file", EDITED, "network"),
    Case("redirect_ftp", EDITED, "network"),
    Case("truncated", EDITED, "suspect", 200),
    Case("truncated_tail", EDITED, "suspect", 200),
    Case("empty", EDITED, "suspect", 200),
    Case("template_change", EDITED, "suspect", 200),
    Case("zones_lost", EDITED, "suspect", 200),
    Case("boilerplate_churn", EDITED, "unchanged", 200),
    Case("slow", EDITED, "unchanged", 200),
    Case("wrong_charset", EDITED, "unchanged", 200),
    Case("no_charset", EDITED, "unchanged", 200),
    Case("gbk_as_utf8", "2024-5", "unchanged", 200),
]


def test_every_catalogued_fault_has_a_test() -> None:
    assert {c.fault for c in CASES} == set(CATALOGUE)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.fault for c in CASES])
def test_fault(case: Case, site: MirrorServer, plan: FaultPlan, store_url: str) -> None:
    # Figures for bench/faults.py, measured before the assertions so a failing case still counts.
    fig = {
        "faults_injected": 1,
        "fault_requests": 0,
        "runs_survived": 0,
        "false_revisions": 0,
        "real_changes_missed": 0,
        "rows_lost_or_duplicated": 0,
        "faults_failed": 0,
    }
    try:
        _fault_case(case, site, plan, store_url, fig)
    except BaseException:
        fig["faults_failed"] = 1
        raise
    finally:
        record_figures(**fig)


def _fault_case(
    case: Case, site: MirrorServer, plan: FaultPlan, store_url: str, fig: dict[str, int]
) -> None:
    target = path_of(case.target)
    before = snapshot(store_url)
    n_inst = len(before.installments)
    assert n_inst == 9 and len(before.revisions) == 9

    # -- the faulty crawl ------------------------------------------------------------------------
    plan.inject(case.fault, target)
    t0 = now()
    summary = crawl_fast(store_url, site)
    t1 = now()
    hits = plan.hits.get(case.fault, 0)
    plan.clear()
    fig["fault_requests"], fig["runs_survived"] = hits, 1
    assert hits >= 1, f"the crawl never asked for {target}"

    after = snapshot(store_url)
    new_fetches = after.fetches_of(target)[len(before.fetches_of(target)) :]
    # A request answered but never recorded is a lost row; two rows for one fetch, a duplicate.
    fig["rows_lost_or_duplicated"] = abs(len(new_fetches) - 1)
    fig["false_revisions"] = max(0, len(after.revisions) - len(before.revisions))
    assert new_fetches, f"{case.fault}: nothing recorded for {target} (the fault left no trace)"
    last = new_fetches[-1]
    # One fetch row per attempt the crawler finished, never one per retry of the same exchange.
    assert len(new_fetches) == 1, new_fetches

    # No false alarm: no revision, no installment appeared, none was duplicated.
    assert len(after.revisions) == len(before.revisions), "a fault made a revision"
    assert len(after.installments) == n_inst
    assert consistency_problems(store_url) == []

    # The crawl went on: every other installment was re-checked in the same crawl.
    for key in LAYOUT["states"]["state1"]["installments"]:
        if key == case.target:
            continue
        path = path_of(key)
        assert len(after.fetches_of(path)) == len(before.fetches_of(path)) + 1, (
            f"{key} not re-checked"
        )

    with open_store(store_url) as store:
        report = store.report_data(t0, t1 + timedelta(seconds=1))
    assert report["revisions"] == [] and report["new_installments"] == []
    reported = {e["url"] for e in report["suspects"]} | {e["url"] for e in report["availability"]}
    url = site.url + target

    if case.outcome == "availability":
        assert last["status"] == case.status and last["error"] is None
        assert last["blob_sha"] is None  # an error page is not content
        events = [e for e in report["availability"] if e["url"] == url]
        assert [e["status"] for e in events] == [case.status]
        assert events[0]["title"]  # the report names the installment
        assert report["suspects"] == []
        md = reports.render(report, "md")  # and the rendered report shows it, with its status
        assert events[0]["title"] in md and f"HTTP {case.status}" in md
        assert summary.errors == 1
    elif case.outcome == "network":
        assert last["status"] != 200 and last["error"], last
        if case.error:
            assert case.error.lower() in last["error"].lower(), last["error"]
        assert last["blob_sha"] is None
        assert reported == set()  # a network failure is in the fetch log, not news
        assert summary.errors == 1
    elif case.outcome == "suspect":
        assert last["status"] == 200 and last["blob_sha"]  # the raw bytes are kept for later
        suspects = [e for e in report["suspects"] if e["url"] == url]
        assert len(suspects) == 1 and suspects[0]["reason"], report["suspects"]
        assert suspects[0]["reason"] in reports.render(report, "md")
        assert report["summary"]["suspects"] == 1
        assert report["availability"] == []
        assert summary.suspects == 1
    else:  # unchanged: the damaged delivery still yields the same text
        assert last["status"] == 200 and last["error"] is None
        assert reported == set(), report["suspects"]
        assert summary.errors == 0 and summary.suspects == 0

    # -- the next healthy crawl --------------------------------------------------------------------
    site.set_state("state2")
    summary2 = crawl_fast(store_url, site)
    t2 = now()
    fig["runs_survived"] = 2
    assert summary2.errors == 0, summary2.error_messages
    healed = snapshot(store_url)
    assert healed.fetches_of(target)[-1]["status"] in (200, 304)
    assert consistency_problems(store_url) == []

    with open_store(store_url) as store:
        report2 = store.report_data(t1, t2 + timedelta(seconds=1))
    # Real changes: exactly the edit of 2024 ② and the new 2025 ④, whatever the fault did before.
    edit = LAYOUT["states"]["state2"]["edited"][EDITED]
    revised = [(r["year"], r["installment"]) for r in report2["revisions"]]
    changes = [
        c
        for r in report2["revisions"]
        if (r["year"], r["installment"]) == (2024, 2)
        for c in r["changes"]
    ]
    edit_found = any(
        c["zone"] == edit["zone"]
        and edit["before"] in (c["before"] or "")
        and edit["after"] in (c["after"] or "")
        for c in changes
    )
    new_found = (2025, 4) in [(n["year"], n["installment"]) for n in report2["new_installments"]]
    fig["false_revisions"] += len([k for k in revised if k != (2024, 2)])
    fig["real_changes_missed"] = (not edit_found) + (not new_found)
    assert revised == [(2024, 2)], report2["revisions"]
    assert edit_found, changes
    assert report2["revisions"][0]["cause"] == "site"
    assert [(n["year"], n["installment"]) for n in report2["new_installments"]] == [(2025, 4)]
    assert report2["suspects"] == [] and report2["availability"] == []
    assert len(healed.installments) == n_inst + 1


FIRST_SIGHT = ["truncated", "truncated_tail", "zones_lost", "empty", "template_change", "drop"]


@pytest.mark.slow
@pytest.mark.parametrize("fault", FIRST_SIGHT)
def test_fault_on_a_new_installment(
    fault: str, site: MirrorServer, plan: FaultPlan, store_url: str
) -> None:
    """A fault on the very first fetch of a new installment (2025 ④, state2): once the page is
    healthy, the installment has exactly one revision, its real content — a damaged first copy
    must not turn the healthy one into an "edit" the site never made."""
    fig = {
        "faults_injected": 1,
        "fault_requests": 0,
        "runs_survived": 0,
        "false_revisions": 0,
        "real_changes_missed": 0,
        "rows_lost_or_duplicated": 0,
        "faults_failed": 0,
    }
    try:
        site.set_state("state2")
        target = path_of("2025-4", "state2")
        plan.inject(fault, target)
        t0 = now()
        crawl_fast(store_url, site)
        t1 = now()
        fig["fault_requests"], fig["runs_survived"] = plan.hits.get(fault, 0), 1
        plan.clear()
        crawl_fast(store_url, site)
        t2 = now()
        fig["runs_survived"] = 2
        with open_store(store_url) as store:
            reports = [store.report_data(t0, t1), store.report_data(t1, t2 + timedelta(seconds=1))]
        revised = [(r["year"], r["installment"]) for rep in reports for r in rep["revisions"]]
        fresh = [(n["year"], n["installment"]) for rep in reports for n in rep["new_installments"]]
        fig["false_revisions"] = len([k for k in revised if k != (2024, 2)])
        fig["real_changes_missed"] = ((2025, 4) not in fresh) + ((2024, 2) not in revised)
        assert (2025, 4) not in revised, (
            f"{fault} on first sight made the healthy page an edit: {reports[1]['revisions']}"
        )
        assert fresh.count((2025, 4)) == 1 and revised == [(2024, 2)]
        snap = snapshot(store_url)
        assert len(snap.revisions_of(2025, 4)) == 1
        assert consistency_problems(store_url) == []
    except BaseException:
        fig["faults_failed"] = 1
        raise
    finally:
        record_figures(**fig)


MOVED = [("http500", "availability"), ("gone404", "availability"), ("truncated", "suspect")]


@pytest.mark.slow
@pytest.mark.parametrize(("fault", "outcome"), MOVED, ids=[f for f, _ in MOVED])
def test_fault_on_a_moved_installment(
    fault: str, outcome: str, site: MirrorServer, plan: FaultPlan, store_url: str
) -> None:
    """state3 moves 2024 ② to a new URL (the old one answers 301): a fault at the new URL is still
    news about the known installment — an availability event or a suspect — never silence, never
    a revision; the healthy crawl then records the real edit once."""
    fig = {
        "faults_injected": 1,
        "fault_requests": 0,
        "runs_survived": 0,
        "false_revisions": 0,
        "real_changes_missed": 0,
        "rows_lost_or_duplicated": 0,
        "faults_failed": 0,
    }
    try:
        site.set_state("state3")
        plan.inject(fault, path_of(EDITED, "state3"))
        t0 = now()
        crawl_fast(store_url, site)
        t1 = now()
        fig["fault_requests"], fig["runs_survived"] = plan.hits.get(fault, 0), 1
        plan.clear()
        with open_store(store_url) as store:
            report = store.report_data(t0, t1 + timedelta(seconds=1))
        fig["false_revisions"] = len(report["revisions"])
        assert report["revisions"] == [], report["revisions"]
        title = next(
            i["title"]
            for i in snapshot(store_url).installments
            if (i["year"], i["number"]) == (2024, 2)
        )
        if outcome == "availability":
            hits = [e for e in report["availability"] if e["title"] == title]
            assert [e["status"] for e in hits] == [500 if fault == "http500" else 404], report[
                "availability"
            ]
        else:
            assert [s for s in report["suspects"] if s["title"] and "2024年这样干" in s["title"]], (
                report["suspects"]
            )

        crawl_fast(store_url, site)
        t2 = now()
        fig["runs_survived"] = 2
        with open_store(store_url) as store:
            report2 = store.report_data(t1, t2 + timedelta(seconds=1))
        revised = [(r["year"], r["installment"]) for r in report2["revisions"]]
        fig["false_revisions"] += len([k for k in revised if k != (2024, 2)])
        fig["real_changes_missed"] = int((2024, 2) not in revised)
        assert revised == [(2024, 2)], report2["revisions"]
        assert consistency_problems(store_url) == []
    except BaseException:
        fig["faults_failed"] = 1
        raise
    finally:
        record_figures(**fig)


PG_CASES = [c for c in CASES if c.fault in ("http503", "drop", "truncated", "gbk_as_utf8")]


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("case", PG_CASES, ids=[c.fault for c in PG_CASES])
def test_fault_on_postgres(case: Case, site: MirrorServer, plan: FaultPlan, pg_url: str) -> None:
    """The same fault cases with the store on PostgreSQL (baseline crawled fresh into it)."""
    site.set_state("state1")
    base = crawl_fast(pg_url, site)
    assert base.errors == 0 and base.new_installments == 9, base
    site.clear_log()
    test_fault(case, site, plan, pg_url)
