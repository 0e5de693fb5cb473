"""The daemon's own tables, beside the data: one row per job run (for `chihwatch status`)."""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from storage import db as storage_db
from storage.models import scheduler_runs

__all__ = ["RunLog", "RunRecord", "JOBS_TABLE", "RUNS_TABLE", "make_engine", "stored_jobs"]

JOBS_TABLE = "scheduler_jobs"  # APScheduler's SQLAlchemyJobStore table
RUNS_TABLE = "scheduler_runs"

# The table is defined with the store's models and created by its Alembic migration 0002.
runs = scheduler_runs


@dataclass(frozen=True)
class RunRecord:
    """One job run as `status` shows it."""

    id: int
    job: str
    started: datetime
    finished: datetime | None
    status: str
    figures: dict[str, Any] | None
    error: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "job": self.job,
            "started": _iso(self.started),
            "finished": _iso(self.finished),
            "status": self.status,
            "figures": self.figures,
            "error": self.error,
        }


# Seconds a run record waits for SQLite's write lock: longer than the store's writers, since the
# crawl child may hold the lock for a whole batch while the daemon records a run beside it.
RUNLOG_SQLITE_TIMEOUT = 60.0


def make_engine(db_url: str) -> sa.Engine:
    """An engine for the daemon's tables (the store's factory, with a longer SQLite lock wait)."""
    return storage_db.make_engine(db_url, sqlite_timeout=RUNLOG_SQLITE_TIMEOUT)


class RunLog:
    """Writes and reads `scheduler_runs`."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def create(self) -> None:
        """Bring the schema, this table included, to the code's migration head."""
        # Never migrates an older schema: `chihwatch db upgrade` does.
        storage_db.ensure_schema(self.engine, create=True)

    def exists(self) -> bool:
        """True once a daemon has run on this database."""
        return sa.inspect(self.engine).has_table(RUNS_TABLE)

    def interrupt_stale(self) -> int:
        """Mark runs left `running` by a daemon that died as interrupted; returns how many."""
        with self.engine.begin() as conn:
            res = conn.execute(
                runs.update()
                .where(runs.c.status == "running")
                .values(status="interrupted", error="the daemon stopped during this run")
            )
            return res.rowcount or 0

    def start(self, job: str, figures: dict[str, Any] | None = None) -> int:
        """Record a run that starts now (with what it is about to do); returns its id."""
        values: dict[str, Any] = {"job": job, "started": _now(), "status": "running"}
        if figures:
            # Kept if the process dies mid-run: a report's period and targets, to re-run it.
            values["figures"] = json.dumps(figures, ensure_ascii=False, default=str)
        with self.engine.begin() as conn:
            res = conn.execute(runs.insert().values(**values))
            return int(res.inserted_primary_key[0])

    def finish(
        self,
        run_id: int,
        status: str,
        figures: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        """Close a run with its outcome."""
        with self.engine.begin() as conn:
            conn.execute(
                runs.update()
                .where(runs.c.id == run_id)
                .values(
                    finished=_now(),
                    status=status,
                    figures=json.dumps(figures, ensure_ascii=False, default=str)
                    if figures
                    else None,
                    error=error,
                )
            )

    def count(self, job: str | None = None, status: str | None = None) -> int:
        """Number of runs, optionally of one job and outcome."""
        q = sa.select(sa.func.count()).select_from(runs)
        if job:
            q = q.where(runs.c.job == job)
        if status:
            q = q.where(runs.c.status == status)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar() or 0)

    def last(self, job: str, *, failed: bool = False) -> RunRecord | None:
        """The latest run of a job (or its latest failed one)."""
        q = sa.select(runs).where(runs.c.job == job)
        if failed:
            q = q.where(runs.c.status == "failed")
        q = q.order_by(runs.c.id.desc()).limit(1)
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return _record(row) if row else None

    def recent(self, limit: int = 20, job: str | None = None) -> list[RunRecord]:
        """The latest runs (of one job), newest first."""
        q = sa.select(runs)
        if job:
            q = q.where(runs.c.job == job)
        with self.engine.connect() as conn:
            rows = conn.execute(q.order_by(runs.c.id.desc()).limit(limit)).all()
        return [_record(r) for r in rows]


def stored_jobs(engine: sa.Engine) -> list[dict[str, Any]]:
    """The jobs in APScheduler's table, read without starting a scheduler: id, name, next run."""
    if not sa.inspect(engine).has_table(JOBS_TABLE):
        return []
    table = sa.Table(JOBS_TABLE, sa.MetaData(), autoload_with=engine)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(table.c.id, table.c.next_run_time, table.c.job_state)).all()
    out = []
    for row in rows:
        try:
            # Our own table, written by our own daemon: unpickling it is trusting ourselves.
            state = pickle.loads(row.job_state)
            name = state.get("name")
        except Exception:
            name = None
        nxt = datetime.fromtimestamp(row.next_run_time, UTC) if row.next_run_time else None
        out.append({"id": row.id, "name": name, "next_run": _iso(nxt)})
    return sorted(out, key=lambda j: j["id"])


def _record(row: Any) -> RunRecord:
    return RunRecord(
        id=row.id,
        job=row.job,
        started=_aware(row.started),
        finished=_aware(row.finished),
        status=row.status,
        figures=json.loads(row.figures) if row.figures else None,
        error=row.error,
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(dt: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; we only ever store UTC.
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat(timespec="seconds") if dt else None
