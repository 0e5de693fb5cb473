"""Report deliveries that failed or were interrupted, to retry with backoff.

Nothing extra is stored: every report run's row in `scheduler_runs` records, from its start, the
period it covers and the keys of the targets it is sending to (`figures.since`, `.until`,
`.pending`); when it ends, `pending` keeps only the targets that did not get it. A run left
`failed` or `interrupted` (a stop, a crash: `interrupt_stale` marks those) with targets pending is
retried by a later run whose `figures.retry_of` names it, after a backoff of 1 min, 4 min,
16 min, 64 min, then 4 h (an interrupted run at once); after 5 attempts, or when none of its
targets is configured any more, it is recorded `abandoned` and logged. A row in scheduler_runs,
rather than a table of its own or a file beside the database, keeps one place of truth that works
the same on SQLite and PostgreSQL, needs no schema change, and that `chihwatch status` already shows.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from scheduler.state import RunLog

__all__ = [
    "Pending",
    "backoff",
    "pending_deliveries",
    "owed_targets",
    "abandon",
    "MAX_ATTEMPTS",
    "MAX_AGE",
]

log = logging.getLogger("scheduler.daemon")  # the daemon's lines, wherever they are written

MAX_ATTEMPTS = 5
# Tests shorten the first wait through the environment; the user-facing default is a minute.
BACKOFF_BASE = float(os.environ.get("CHIHWATCH_RETRY_BASE", "60"))
BACKOFF_MAX = 4 * 3600.0
# A report older than this is not worth sending any more (the next weekly one covers the news).
MAX_AGE = timedelta(days=14)
RETRYABLE = ("failed", "interrupted")


@dataclass(frozen=True)
class Pending:
    """One report run whose delivery is still owed to some targets."""

    run_id: int
    since: datetime
    until: datetime
    keys: tuple[str, ...]  # target keys (reports.deliver.target_key) still owed the report
    attempts: int  # attempts made so far, this run's included
    due: datetime
    status: str

    @property
    def exhausted(self) -> bool:
        return self.attempts >= MAX_ATTEMPTS


def backoff(attempts: int) -> float:
    """Seconds to wait after `attempts` failed attempts: 1 min, 4 min, 16 min, 64 min, 4 h."""
    return min(BACKOFF_MAX, BACKOFF_BASE * 4 ** max(0, attempts - 1))


def pending_deliveries(runs: RunLog, now: datetime | None = None) -> list[Pending]:
    """Report runs still owing their report to a target, oldest first."""
    now = now or datetime.now(UTC)
    recent = runs.recent(limit=500, job="report")
    superseded = {r.figures.get("retry_of") for r in recent if r.figures}
    out: list[Pending] = []
    for r in reversed(recent):
        f = r.figures or {}
        if r.status not in RETRYABLE or r.id in superseded:
            continue
        keys = f.get("pending")
        if not keys or "since" not in f or "until" not in f:
            continue  # nothing owed, or a row from before runs recorded their targets
        if now - r.started > MAX_AGE:
            continue
        attempts = int(f.get("attempt") or 1)
        ended = r.finished or r.started
        wait = 0.0 if r.status == "interrupted" else backoff(attempts)
        out.append(
            Pending(
                run_id=r.id,
                since=_when(f["since"]),
                until=_when(f["until"]),
                keys=tuple(str(k) for k in keys),
                attempts=attempts,
                due=ended + timedelta(seconds=wait),
                status=r.status,
            )
        )
    return out


def _when(text: str) -> datetime:
    dt = datetime.fromisoformat(str(text))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def owed_targets(targets: Sequence[Any], pending: Pending | None) -> list[tuple[str, Any]]:
    """(key, target) of each configured target a report run sends to: all of them for a new
    report, those still owed it for a retry (a target no longer configured is said and dropped)."""
    from reports.deliver import target_key

    keyed = [
        (target_key(t) if isinstance(t, Mapping) else f"target-{i}", t)
        for i, t in enumerate(targets)
    ]
    if pending is None:
        return keyed
    owed = [(k, t) for k, t in keyed if k in pending.keys]
    gone = len(pending.keys) - len(owed)
    if gone:
        log.warning(
            "report #%d: %d of its target(s) are no longer configured; not retried",
            pending.run_id,
            gone,
        )
    return owed


def abandon(runs: RunLog, pending: Pending, why: str) -> None:
    """Give up on an owed report: an `abandoned` run that supersedes it, and one error line."""
    run_id = runs.start(
        "report",
        {
            "since": pending.since.isoformat(timespec="seconds"),
            "until": pending.until.isoformat(timespec="seconds"),
            "retry_of": pending.run_id,
            "pending": [],
        },
    )
    runs.finish(
        run_id,
        "abandoned",
        figures={"retry_of": pending.run_id, "pending": [], "abandoned": list(pending.keys)},
        error=f"report #{pending.run_id} not delivered to {len(pending.keys)} target(s): {why}",
    )
    log.error(
        "report #%d (%s .. %s) not delivered to %d target(s): %s",
        pending.run_id,
        pending.since.isoformat(timespec="minutes"),
        pending.until.isoformat(timespec="minutes"),
        len(pending.keys),
        why,
    )
