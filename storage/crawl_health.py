"""Crawl health: how many crawls ran in a period, how many failed, when the last good one was.

A quiet week and a dead crawler look the same in a report that lists only changes; these figures
tell them apart. So do the installments known before the period that no fetch of the period saw on
the site (`not_seen`: a 200 or a 304 moves `installments.last_seen`): removed pages, and pages the
crawls never came back to (the revisit policy rests a page for a day, never for a week). Every crawl leaves one row in `scheduler_runs` (job "crawl"): the daemon's runs,
`chihwatch crawl` and the demo (`record_crawl`). Runs are classified as

    ok        finished (its page errors, if any, are in the report's other sections)
    failed    crashed, timed out, could not reach the site
    stopped   interrupted because the daemon was shut down cleanly (SIGTERM/SIGINT): not a fault
    interrupted  left unfinished by a daemon that died

Only `failed` and `interrupted` are problems; a clean stop is said in plain words, never as the
child's "killed by signal 9".
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.models import Fetch, Installment, scheduler_runs

__all__ = ["crawl_health", "record_crawl", "CLEAN_STOP_PREFIX", "STOPPED_NOTE"]

# What the daemon writes as the error of a crawl it interrupted while stopping (scheduler/daemon.py).
CLEAN_STOP_PREFIX = "stopped by signal"
STOPPED_NOTE = "the daemon was stopped during this crawl (a clean shutdown, not a failure)"


def _naive_utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC).replace(tzinfo=None) if dt.tzinfo else dt


def _iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def classify(status: str, error: str | None) -> str:
    """ok | failed | stopped | interrupted (see the module docstring)."""
    if status == "interrupted" and (error or "").startswith(CLEAN_STOP_PREFIX):
        return "stopped"
    return status


def record_crawl(
    engine: sa.Engine,
    *,
    started: datetime,
    finished: datetime,
    status: str,
    figures: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """One finished crawl run (for crawls outside the daemon: `chihwatch crawl`, the demo)."""
    with engine.begin() as conn:
        conn.execute(
            scheduler_runs.insert().values(
                job="crawl",
                started=_naive_utc(started),
                finished=_naive_utc(finished),
                status=status,
                figures=json.dumps(figures, ensure_ascii=False, default=str) if figures else None,
                error=error,
            )
        )


def crawl_health(s: Session, lo: datetime, hi: datetime) -> dict[str, Any]:
    """Crawl figures for [lo, hi) (naive UTC bounds, as the database stores times).

    {"crawls", "ok", "failed", "stopped", "last_crawl", "last_success",   # ISO 8601 or null
     "last_successful_fetch",   # newest 200 response ever stored, ISO 8601 or null
     "problems": [{"started", "status": "failed|interrupted", "error"}],
     "stopped_runs": [{"started", "note"}],
     "known_before": installments first seen before the period,
     "not_seen": how many of them the period's fetches did not see on the site,
     "not_seen_items": [{"year", "installment", "title", "last_seen"}] (the first NOT_SEEN_SHOWN,
                       longest unseen first)}
    `last_success` is the latest successful crawl up to `hi`, which may be before the period.
    """
    rows = s.execute(
        sa.select(
            scheduler_runs.c.started,
            scheduler_runs.c.status,
            scheduler_runs.c.error,
        )
        .where(
            scheduler_runs.c.job == "crawl",
            scheduler_runs.c.started >= lo,
            scheduler_runs.c.started < hi,
            scheduler_runs.c.status != "running",
        )
        .order_by(scheduler_runs.c.started, scheduler_runs.c.id)
    ).all()
    counts = {"ok": 0, "failed": 0, "stopped": 0, "interrupted": 0}
    problems: list[dict[str, Any]] = []
    stopped: list[dict[str, Any]] = []
    for started, status, error in rows:
        kind = classify(status, error)
        counts[kind] = counts.get(kind, 0) + 1
        if kind == "stopped":
            stopped.append({"started": _iso(started), "note": STOPPED_NOTE})
        elif kind in ("failed", "interrupted"):
            problems.append({"started": _iso(started), "status": status, "error": error or status})
    # The three "latest" stamps in one statement (one round trip on PostgreSQL, not three).
    last_success, last_crawl, last_fetch = s.execute(
        sa.select(
            sa.select(sa.func.max(scheduler_runs.c.started))
            .where(
                scheduler_runs.c.job == "crawl",
                scheduler_runs.c.status == "ok",
                scheduler_runs.c.started < hi,
            )
            .scalar_subquery(),
            sa.select(sa.func.max(scheduler_runs.c.started))
            .where(scheduler_runs.c.job == "crawl", scheduler_runs.c.started < hi)
            .scalar_subquery(),
            sa.select(sa.func.max(Fetch.fetched_at))
            .where(Fetch.status == 200, Fetch.fetched_at < hi)
            .scalar_subquery(),
        )
    ).one()
    known_before, not_seen, not_seen_items = _not_seen(s, lo)
    return {
        "crawls": len(rows),
        "ok": counts["ok"],
        "failed": counts["failed"] + counts["interrupted"],
        "stopped": counts["stopped"],
        "last_crawl": _iso(last_crawl),
        "last_success": _iso(last_success),
        "last_successful_fetch": _iso(last_fetch),
        "problems": problems,
        "stopped_runs": stopped,
        "known_before": known_before,
        "not_seen": not_seen,
        "not_seen_items": not_seen_items,
    }


NOT_SEEN_SHOWN = 10


def _not_seen(s: Session, lo: datetime) -> tuple[int, int, list[dict[str, Any]]]:
    """(known before `lo`, how many of them were last seen before `lo`, the first of those)."""
    before = Installment.first_seen < lo
    unseen = sa.and_(before, Installment.last_seen < lo)
    known, missing = s.execute(
        sa.select(
            sa.select(sa.func.count()).where(before).scalar_subquery(),
            sa.select(sa.func.count()).where(unseen).scalar_subquery(),
        )
    ).one()
    items: list[dict[str, Any]] = []
    if missing:
        rows = s.execute(
            sa.select(
                Installment.year, Installment.number, Installment.title, Installment.last_seen
            )
            .where(unseen)
            .order_by(Installment.last_seen, Installment.year, Installment.number)
            .limit(NOT_SEEN_SHOWN)
        ).all()
        items = [
            {"year": y, "installment": n, "title": t, "last_seen": _iso(seen)}
            for y, n, t, seen in rows
        ]
    return int(known), int(missing), items
