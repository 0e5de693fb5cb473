"""The unattended daemon: APScheduler jobs for crawling and reporting, one per database.

The schedule lives in APScheduler's SQLAlchemyJobStore (table `scheduler_jobs`) in the same
database as the data, so a restart resumes it; each crawl runs in a child process
(`crawler.run.crawl_in_subprocess`) so a crash, a hang or leaked memory dies with the child.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from chihwatch.errors import ChihwatchError, ConfigError
from chihwatch.paths import resolve_db_url
from chihwatch.urls import redact_url
from crawler.counts import SHOWN
from crawler.run import stop_children
from scheduler import lock as lockmod
from scheduler.config import DaemonConfig, Schedule
from scheduler.retry import MAX_ATTEMPTS, Pending, abandon, owed_targets, pending_deliveries
from scheduler.state import JOBS_TABLE, RunLog, make_engine
from storage.db import safe_url

if TYPE_CHECKING:
    import sqlalchemy as sa
    from apscheduler.schedulers.background import BackgroundScheduler

    from storage.store import Store

__all__ = ["Daemon", "crawl_job", "report_job", "retry_job"]

log = logging.getLogger(__name__)

# Test seam: "module:function" with crawl_in_subprocess's signature, used instead of the real
# crawler so the supervision can be tested with a child the test controls.
CRAWL_IMPL_ENV = "CHIHWATCH_DAEMON_CRAWL_IMPL"
# How long a stopping crawl child gets to exit after SIGTERM before SIGKILL.
CHILD_GRACE = 3.0
# How often the main thread checks that the PostgreSQL lock connection is still there
# (tests shorten it through the environment).
LOCK_CHECK_EVERY = float(os.environ.get("CHIHWATCH_DAEMON_LOCK_CHECK", "30"))

_current: Daemon | None = None


def crawl_job() -> None:
    """APScheduler entry point (stored by reference in the job store)."""
    _guarded("crawl", lambda d: d.run_crawl())


def report_job() -> None:
    """APScheduler entry point (stored by reference in the job store)."""
    _guarded("report", lambda d: d.run_report())


def retry_job() -> None:
    """APScheduler entry point (in-memory job): deliveries owed by earlier report runs."""
    _guarded("retry", lambda d: d.run_retries())


def _guarded(name: str, run: Callable[[Daemon], None]) -> None:
    # The job's own failures are recorded by the job; this catches the database being unreachable
    # for the run record itself, as one line instead of APScheduler's traceback.
    if _current is None:
        return
    try:
        run(_current)
    except Exception as exc:
        log.error(
            "%s job could not run: %s: %s (next run will retry)",
            name,
            type(exc).__name__,
            _one_line(exc),
        )


class Daemon:
    """One daemon process: lock, store, scheduler, signal handling."""

    def __init__(
        self, config: DaemonConfig, reload: Callable[[], DaemonConfig] | None = None
    ) -> None:
        self.config = config
        self.db_url = resolve_db_url(config.db_url)
        self._reload_config = reload  # re-reads the file with the same flags (SIGHUP)
        self._stop = threading.Event()
        self._hup = threading.Event()
        self._report_running = threading.Event()
        # Jobs add the retry job themselves; APScheduler's shutdown(wait=True) holds the job
        # store lock while it waits for running jobs, so a job must never touch the scheduler
        # once the stop has begun: both sides take this lock around `_stopping`.
        self._sched_lock = threading.Lock()
        self._stopping = False
        self._lock: lockmod.DaemonLock | None = None
        self._store: Store | None = None
        self._scheduler: BackgroundScheduler | None = None
        self._engine: sa.Engine | None = None
        self.runs: RunLog | None = None
        self._crawl_running = threading.Event()
        self.exit_code = 0

    # -- lifecycle -----------------------------------------------------------------------

    def run(self) -> int:
        """Run until SIGTERM/SIGINT; returns the exit code (0 on a clean stop)."""
        global _current
        self._install_signals()
        self._lock = lockmod.acquire(self.db_url)
        try:
            log.info(
                "daemon %s started on %s",
                self._lock.holder.describe(),
                safe_url(self.db_url),
            )
            self._open()
            _current = self
            if not self._stop.is_set():
                self._start_scheduler()
            next_check = time.monotonic() + LOCK_CHECK_EVERY
            while not self._stop.wait(0.2):
                if self._hup.is_set():
                    self._hup.clear()
                    self.reload()
                if time.monotonic() >= next_check:
                    self._check_lock()
                    next_check = time.monotonic() + LOCK_CHECK_EVERY
            if self.exit_code == 0:
                log.info("stopping: signal received")
        finally:
            self._shutdown()
            _current = None
        log.info("daemon stopped")
        return self.exit_code

    def request_stop(self) -> None:
        """Ask the main loop to stop (what the signal handlers do)."""
        self._stop.set()

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def handler(signum: int, frame: Any) -> None:
            if self._stop.is_set():
                # A second signal while stopping: the operator wants out now.
                log.warning("second %s: exiting at once", signal.Signals(signum).name)
                os._exit(1)
            self._stop.set()

        def hup(signum: int, frame: Any) -> None:
            # Reload, like nginx or sshd: the main loop re-reads the config (never in a handler).
            self._hup.set()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGHUP, hup)

    def _open(self) -> None:
        from storage import open_store

        # open_store runs the migrations now, before any crawl child races to do it.
        self._store = open_store(self.db_url)
        self._engine = make_engine(self.db_url)
        self.runs = RunLog(self._engine)
        self.runs.create()
        stale = self.runs.interrupt_stale()
        if stale:
            log.warning(
                "%d run(s) were left unfinished by a previous daemon; marked interrupted", stale
            )

    def _start_scheduler(self) -> None:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        # APScheduler logs every submission at INFO; our own line per run is the useful one.
        quiet = max(logging.WARNING, logging.getLogger().level)
        logging.getLogger("apscheduler").setLevel(quiet)
        # The crawl child's progress lines (logged at INFO by crawler.run) only with -vv.
        if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
            logging.getLogger("crawler.child").setLevel(quiet)
        from apscheduler.jobstores.memory import MemoryJobStore

        sched = BackgroundScheduler(
            jobstores={
                "default": SQLAlchemyJobStore(engine=self._engine, tablename=JOBS_TABLE),
                # Retries are derived from scheduler_runs at each start: nothing to persist.
                "memory": MemoryJobStore(),
            },
            executors={"default": ThreadPoolExecutor(max_workers=2)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=UTC,
        )
        # Paused first so the stored jobs can be compared with the config before anything fires.
        sched.start(paused=True)
        self._scheduler = sched
        self._ensure_jobs()
        sched.resume()
        self._schedule_retry()

    def _ensure_jobs(self) -> None:
        sched = self._scheduler
        assert sched is not None  # started (paused) before the jobs are compared
        self._ensure_job("crawl", crawl_job, self.config.crawl, first_run_now=True)
        if self.config.report_enabled and not self.config.report_targets:
            # A report job that delivers nowhere would be a silent success every week.
            log.warning(
                "report: no delivery targets ([[report.targets]], [report] dir or --report-dir): "
                "the report job is not scheduled"
            )
            if sched.get_job("report"):
                sched.remove_job("report")
        elif self.config.report_enabled:
            self._ensure_job("report", report_job, self.config.report, first_run_now=False)
        elif sched.get_job("report"):
            sched.remove_job("report")
            log.info("report job removed (report.enabled = false)")

    def reload(self) -> None:
        """SIGHUP: re-read the config file; keep running on the old one if the new one is bad."""
        if self._reload_config is None:
            log.warning("SIGHUP: started without a config file, nothing to reload")
            return
        try:
            new = self._reload_config()
        except ChihwatchError as exc:
            log.error("SIGHUP: config not reloaded, still running the old one: %s", _one_line(exc))
            return
        if resolve_db_url(new.db_url) != self.db_url:
            log.error(
                "SIGHUP: config not reloaded: it names another database (%s); restart the "
                "daemon to change databases",
                safe_url(resolve_db_url(new.db_url)),
            )
            return
        self.config = new
        if self._scheduler is not None:
            self._scheduler.pause()
            try:
                self._ensure_jobs()
            finally:
                self._scheduler.resume()
        log.info(
            "SIGHUP: config reloaded from %s: crawl %s, report %s, %d delivery target(s)",
            new.source or "flags",
            new.crawl.describe(),
            new.report.describe() if new.report_enabled else "disabled",
            len(new.report_targets),
        )

    def _ensure_job(
        self, job_id: str, func: Callable[[], None], schedule: Schedule, *, first_run_now: bool
    ) -> None:
        sched = self._scheduler
        assert sched is not None
        name = schedule.describe()
        job = sched.get_job(job_id)
        if job is not None and job.name == name:
            # Same schedule as stored: keep its next run time (this is what "resume" means).
            sched.modify_job(
                job_id,
                misfire_grace_time=max(1, round(schedule.misfire_grace)),
                coalesce=True,
                max_instances=1,
            )
            nxt = job.next_run_time
            last = self.runs.last(job_id) if self.runs is not None else None
            if job_id == "crawl" and last is not None and last.status == "interrupted":
                # The previous daemon stopped mid-crawl: finish the job now rather than in an interval.
                nxt = datetime.now(UTC)
                sched.modify_job(job_id, next_run_time=nxt)
                log.info("crawl: the last crawl was interrupted; crawling again now")
            log.info(
                "%s: resuming stored schedule (%s), next run %s",
                job_id,
                schedule.describe(),
                _fmt(nxt),
            )
            return
        existed = job is not None
        trigger = schedule.trigger()
        kwargs: dict[str, Any] = {}
        if first_run_now and not existed:
            kwargs["next_run_time"] = datetime.now(UTC)
        sched.add_job(
            func,
            trigger,
            id=job_id,
            name=name,
            replace_existing=True,
            misfire_grace_time=max(1, round(schedule.misfire_grace)),
            coalesce=True,
            max_instances=1,
            **kwargs,
        )
        # A paused scheduler has not computed next_run_time yet; read it back from the store.
        stored = sched.get_job(job_id)
        nxt = stored.next_run_time if stored is not None else None
        log.info(
            "%s: %s (%s), next run %s",
            job_id,
            "rescheduled" if existed else "scheduled",
            schedule.describe(),
            _fmt(nxt),
        )

    def _check_lock(self) -> None:
        if self._lock is None or self._lock.alive():
            return
        # The PostgreSQL server dropped our session (restart, network): the advisory lock went
        # with it. Take it again, or stop if another daemon got in meanwhile.
        log.warning(
            "lost the daemon lock connection to %s; taking the lock again",
            safe_url(self.db_url),
        )
        self._lock.release()
        self._lock = None
        try:
            self._lock = lockmod.acquire(self.db_url)
        except ChihwatchError as exc:
            log.error("cannot take the daemon lock again, stopping: %s", _one_line(exc))
            self.exit_code = 1
            self._stop.set()
            return
        log.info("daemon lock taken again")

    def _shutdown(self) -> None:
        with self._sched_lock:
            self._stopping = True
        if self._scheduler is not None:
            try:
                self._scheduler.pause()  # nothing new starts while we stop
            except Exception as exc:  # not started
                log.debug("scheduler pause: %s", exc)
        # Loop: a crawl that was just starting may spawn its child after the first sweep; a
        # report moving on to its next target starts a new delivery, which is cut at once too.
        from chihwatch.deadline import abort_all

        deadline = time.monotonic() + CHILD_GRACE + 5
        while (
            self._crawl_running.is_set() or self._report_running.is_set()
        ) and time.monotonic() < deadline:
            abort_all("stopping")
            if self._crawl_running.is_set():
                stop_children(CHILD_GRACE)
            time.sleep(0.1)
        if self._scheduler is not None:
            try:
                self._scheduler.shutdown(
                    wait=True
                )  # running jobs finish (the crawl just lost its child)
            except Exception as exc:  # already stopped
                log.debug("scheduler shutdown: %s", exc)
        if self._store is not None and hasattr(self._store, "close"):
            self._store.close()
        if self._engine is not None:
            self._engine.dispose()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    # -- jobs ----------------------------------------------------------------------------

    def run_crawl(self) -> None:
        """One crawl cycle in a child process, recorded and logged as one line."""
        if self._stopping or self.runs is None:
            return
        cfg = self.config
        run_id = self.runs.start("crawl")
        t0 = time.monotonic()
        self._crawl_running.set()
        try:
            crawl = _crawl_impl()
            summary = crawl(
                self.db_url,
                list(cfg.start_urls) or None,
                timeout=cfg.crawl_timeout,
                settings=dict(cfg.crawl_settings) or None,
            )
        except Exception as exc:
            secs = time.monotonic() - t0
            msg = _one_line(exc)
            if self._stopping:
                self.runs.finish(run_id, "interrupted", error=f"stopped by signal: {msg}")
                log.info("crawl #%d interrupted after %.1fs (daemon stopping)", run_id, secs)
            else:
                kind = "" if isinstance(exc, ChihwatchError) else f"{type(exc).__name__}: "
                done = getattr(exc, "summary", None)  # a crawl that ran, then failed
                figures = done.to_dict() if hasattr(done, "to_dict") else None
                if figures:
                    figures.pop("changes", None)
                self.runs.finish(run_id, "failed", error=kind + msg, figures=figures)
                log.error(
                    "crawl #%d failed after %.1fs: %s%s (next cycle will retry)",
                    run_id,
                    secs,
                    kind,
                    msg,
                )
            return
        finally:
            self._crawl_running.clear()
        secs = time.monotonic() - t0
        figures = summary.to_dict() if hasattr(summary, "to_dict") else dict(summary)
        figures.setdefault("seconds", round(secs, 3))
        # One row per crawl for months: keep the figures, not every URL the crawl touched.
        figures.pop("changes", None)
        figures["error_messages"] = list(figures.get("error_messages") or [])[:20]
        # A child stopped by our SIGTERM may still exit cleanly with what it had done so far.
        status = "interrupted" if self._stopping else "ok"
        self.runs.finish(
            run_id,
            status,
            figures=figures,
            error="; ".join(figures.get("error_messages") or [])[:2000] or None,
        )
        counts = " ".join(f"{name}={figures.get(name)}" for name in SHOWN)
        log.info("crawl #%d %s in %.1fs: %s", run_id, status, secs, counts)

    def run_report(self, pending: Pending | None = None) -> None:
        """Publish the report of the last period (or re-send an owed one) to its targets."""
        if self._stopping or self.runs is None:
            return
        assert self._store is not None  # opened before the run log
        cfg = self.config
        t0 = time.monotonic()
        if pending is None:
            until = datetime.now(UTC)
            since = until - timedelta(seconds=cfg.report_period)
        else:
            since, until = pending.since, pending.until
        keyed = owed_targets(cfg.report_targets, pending)
        if pending is not None and not keyed:
            abandon(self.runs, pending, "its targets are no longer configured")
            return
        figures: dict[str, Any] = {
            "since": since.isoformat(timespec="seconds"),
            "until": until.isoformat(timespec="seconds"),
            "attempt": pending.attempts + 1 if pending else 1,
            "pending": [k for k, _ in keyed],
        }
        if pending is not None:
            figures["retry_of"] = pending.run_id
        run_id = self.runs.start("report", figures)
        store = self._store
        self._report_running.set()
        try:
            import reports

            where = reports.publish(
                store,
                since,
                until,
                formats=list(cfg.report_formats),
                targets=[t for _, t in keyed],
            )
        except Exception as exc:
            self._report_failed(run_id, exc, keyed, figures)
            return
        finally:
            self._report_running.clear()
        where = [redact_url(str(w)) for w in where]
        figures.update(pending=[], delivered=where)
        self.runs.finish(run_id, "ok", figures=figures)
        log.info(
            "report #%d ok in %.1fs: %s .. %s -> %s%s",
            run_id,
            time.monotonic() - t0,
            since.isoformat(timespec="minutes"),
            until.isoformat(timespec="minutes"),
            ", ".join(where) or "no targets",
            f" (retry of report #{pending.run_id})" if pending else "",
        )

    def _report_failed(
        self, run_id: int, exc: Exception, keyed: list[tuple[str, Any]], figures: dict[str, Any]
    ) -> None:
        """Record a report run that did not reach every target; the ones it missed are owed."""
        from reports.deliver import DeliveryError

        assert self.runs is not None
        if isinstance(exc, DeliveryError):
            failed = [keyed[o.index][0] for o in exc.outcomes if not o.ok]
            figures["delivered"] = [redact_url(str(w)) for w in exc.delivered]
        else:  # the store or the rendering: nothing went anywhere
            failed = [k for k, _ in keyed]
        figures["pending"] = failed
        status = "interrupted" if self._stopping else "failed"
        kind = "" if isinstance(exc, ChihwatchError) else f"{type(exc).__name__}: "
        self.runs.finish(run_id, status, figures=figures, error=kind + _one_line(exc))
        log.error(
            "report #%d %s: %s%s (%d target(s) will be retried)",
            run_id,
            status,
            kind,
            _one_line(exc),
            len(failed),
        )
        if not self._stopping:
            self._schedule_retry()

    # -- retries of owed deliveries -------------------------------------------------------

    def run_retries(self) -> None:
        """Re-send every owed report that is due; then schedule the next retry."""
        if self._stopping or self.runs is None:
            return
        now = datetime.now(UTC)
        for p in pending_deliveries(self.runs, now):
            if self._stopping:
                return
            if p.exhausted:
                abandon(self.runs, p, f"gave up after {p.attempts} attempts")
            elif p.due <= now:
                log.info(
                    "report #%d (%s .. %s, %s): retrying %d target(s), attempt %d of %d",
                    p.run_id,
                    p.since.isoformat(timespec="minutes"),
                    p.until.isoformat(timespec="minutes"),
                    p.status,
                    len(p.keys),
                    p.attempts + 1,
                    MAX_ATTEMPTS,
                )
                self.run_report(pending=p)
        self._schedule_retry()

    def _schedule_retry(self) -> None:
        with self._sched_lock:
            if self._scheduler is None or self.runs is None or self._stopping:
                return
            self._schedule_retry_locked()

    def _schedule_retry_locked(self) -> None:
        assert self.runs is not None and self._scheduler is not None
        sched = self._scheduler
        owed = pending_deliveries(self.runs)
        if not owed:
            if sched.get_job("retry", jobstore="memory"):
                sched.remove_job("retry", jobstore="memory")
            return
        when = max(min(p.due for p in owed), datetime.now(UTC))
        sched.add_job(
            retry_job,
            "date",
            run_date=when,
            id="retry",
            name="report retry",
            jobstore="memory",
            replace_existing=True,
            misfire_grace_time=None,
        )
        log.info(
            "report: %d owed deliver%s, next retry %s",
            len(owed),
            "y" if len(owed) == 1 else "ies",
            _fmt(when),
        )


def _crawl_impl() -> Callable[..., Any]:
    target = os.environ.get(CRAWL_IMPL_ENV)
    if target:
        module, _, attr = target.partition(":")
        if not attr:
            raise ConfigError(f"{CRAWL_IMPL_ENV}: expected module:function, got {target!r}")
        return getattr(importlib.import_module(module), attr)
    from crawler.run import crawl_in_subprocess

    return crawl_in_subprocess


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _fmt(dt: datetime | None) -> str:
    return dt.astimezone(UTC).isoformat(timespec="seconds") if dt else "never (paused)"
