"""`chihwatch daemon` (run the schedule until stopped) and `chihwatch status`."""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
from pathlib import Path
from typing import Any

import click

from chihwatch.errors import ConfigError, DatabaseError
from chihwatch.paths import resolve_db_url

__all__ = ["daemon_cmd", "status_cmd"]

CONFIG_ENV = "CHIHWATCH_CONFIG"
_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _load(config_path: str | None) -> Any:
    from scheduler.config import load_config

    return load_config(config_path or os.environ.get(CONFIG_ENV) or None)


@click.command("daemon")
@click.option(
    "--config",
    "config_path",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help=f"TOML config file (docs/daemon.md). Env: {CONFIG_ENV}.",
)
@click.option(
    "--start-url",
    "start_urls",
    multiple=True,
    metavar="URL",
    help="Crawl from this URL (repeatable); replaces the config's start_urls.",
)
@click.option(
    "--crawl-interval",
    metavar="DURATION",
    help="Crawl every DURATION (90s, 30m, 6h); replaces the config's crawl schedule.",
)
@click.option(
    "--report-dir",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Write the weekly report files into DIR (besides e-mail/webhook targets).",
)
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="Database URL; overrides --db before the command and the config.",
)
@click.pass_context
def daemon_cmd(
    ctx: click.Context,
    config_path: str | None,
    start_urls: tuple[str, ...],
    crawl_interval: str | None,
    report_dir: str | None,
    db_url: str | None,
) -> int:
    """Run the crawl and weekly report schedule until SIGTERM or Ctrl-C (one daemon per database)."""
    from scheduler.daemon import Daemon

    for u in start_urls:
        if not u.startswith(("http://", "https://")):
            raise ConfigError(f"--start-url: not an http(s) URL: {u!r}")
    group_db = (ctx.obj or {}).get("db_url")

    def configure() -> Any:
        # The same file with the same flags on top: what SIGHUP re-reads.
        return _load(config_path).with_overrides(
            db_url=db_url or group_db,
            start_urls=start_urls,
            crawl_interval=crawl_interval,
            report_dir=report_dir,
        )

    cfg = configure()
    _setup_logging(cfg)
    import storage.db

    storage.db.ANNOUNCE_NOW = True  # a daemon runs for months: say "created new database" at once
    has_file = bool(config_path or os.environ.get(CONFIG_ENV))
    return Daemon(cfg, reload=configure if has_file else None).run()


def _setup_logging(cfg: Any) -> None:
    root = logging.getLogger()
    # The daemon's one line per run is INFO; -vv (DEBUG) from the group stays as asked.
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    # Alembic reports every migration step at INFO; the daemon's own lines are what matter.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if not root.handlers:
        h = logging.StreamHandler()
        h.setFormatter(logging.Formatter(_LOG_FORMAT))
        root.addHandler(h)
    if cfg.log_file:
        path = Path(cfg.log_file)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fh = logging.handlers.RotatingFileHandler(
                path, maxBytes=cfg.log_max_bytes, backupCount=cfg.log_backups, encoding="utf-8"
            )
        except OSError as exc:
            raise ConfigError(f"log_file: cannot open {path}: {exc.strerror or exc}") from None
        fh.setFormatter(logging.Formatter(_LOG_FORMAT))
        root.addHandler(fh)


@click.command("status")
@click.option(
    "--config",
    "config_path",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help=f"Config file, to find the database. Env: {CONFIG_ENV}.",
)
@click.option("--db", "db_url", metavar="URL", help="Database URL.")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_context
def status_cmd(
    ctx: click.Context, config_path: str | None, db_url: str | None, as_json: bool
) -> None:
    """Show the database, the daemon holding it, each job's last and next run, errors and counts."""
    cfg = _load(config_path) if (config_path or os.environ.get(CONFIG_ENV)) else None
    url = resolve_db_url(db_url or (ctx.obj or {}).get("db_url") or (cfg.db_url if cfg else None))
    data = collect_status(url)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(format_status(data))


def collect_status(db_url: str) -> dict[str, Any]:
    """Everything `status` shows, as a dict."""
    import sqlalchemy as sa

    from scheduler import lock as lockmod
    from scheduler.state import RunLog, make_engine, stored_jobs
    from storage.db import check_url, safe_url

    check_url(db_url)  # a bad --db is one line and exit 5 before anything opens it
    if lockmod.is_sqlite(db_url):
        db_file = sa.engine.make_url(db_url).database
        if not db_file or not Path(db_file).expanduser().exists():
            raise DatabaseError(f"no database at {db_file} (nothing has been crawled yet)")
    holder = lockmod.current_holder(db_url)
    engine = make_engine(db_url)
    try:
        runs = RunLog(engine)
        try:
            have_runs = runs.exists()
            jobs = stored_jobs(engine)
        except sa.exc.SQLAlchemyError as exc:
            raise DatabaseError(
                f"cannot read {safe_url(db_url)}: {lockmod._first_line(exc)}"
            ) from None
        job_rows = []
        names = [j["id"] for j in jobs] or ["crawl", "report"]
        for name in names:
            stored = next((j for j in jobs if j["id"] == name), None)
            last = runs.last(name) if have_runs else None
            failed = runs.last(name, failed=True) if have_runs else None
            job_rows.append(
                {
                    "id": name,
                    "schedule": (stored or {}).get("name"),
                    "next_run": (stored or {}).get("next_run"),
                    "scheduled": stored is not None,
                    "last_run": last.to_dict() if last else None,
                    "last_error": failed.to_dict() if failed else None,
                    "runs": runs.count(name) if have_runs else 0,
                    "failed_runs": (runs.count(name, "failed") if have_runs else 0),
                }
            )
    finally:
        engine.dispose()
    return {
        "database": safe_url(db_url),
        "daemon": (
            {"running": True, "pid": holder.pid, "host": holder.host, "started": holder.started}
            if holder
            else {"running": False}
        ),
        "jobs": job_rows,
        "store": _store_status(db_url),
    }


def _store_status(db_url: str) -> dict[str, Any]:
    try:
        from storage import open_store
        from storage.db import quick_check

        store = open_store(db_url, create=False)
    except ModuleNotFoundError:
        return {"error": "storage is not installed"}
    try:
        quick_check(store.engine)  # a damaged file must not show normal counts (exit 5)
        return dict(store.status())
    finally:
        if hasattr(store, "close"):
            store.close()


def format_status(data: dict[str, Any]) -> str:
    """The human-readable status."""
    from chihwatch.timefmt import human, zone_name

    lines = [f"database:  {data['database']}", f"times in:  {zone_name()}"]
    d = data["daemon"]
    running = d["running"]
    if running:
        lines.append(
            f"daemon:    running, pid {d['pid']} on host {d['host']} since {human(d['started'])}"
        )
    else:
        lines.append("daemon:    not running (nothing is scheduled to run until it is started)")
    lines.append("jobs:")
    for j in data["jobs"]:
        sched = j["schedule"] or "not scheduled"
        # A stopped daemon's job table still holds its last schedule: not a run that will happen.
        when = f"next run {human(j['next_run'])}" if running else "stopped, no next run"
        if not running and j["schedule"]:
            sched = f"was {sched}"
        lines.append(f"  {j['id']:<7} {sched}; {when}; {j['runs']} runs, {j['failed_runs']} failed")
        last = j["last_run"]
        if last:
            lines.append(
                f"          last run #{last['id']} {human(last['started'])}: {last['status']}"
                f"{_figures(last)}"
            )
        err = j["last_error"]
        if err:
            lines.append(
                f"          last error #{err['id']} {human(err['started'])}: {err['status']}: "
                f"{err['error']}"
            )
    store = data.get("store") or {}
    if store:
        lines.append("store:")
        for k, v in store.items():
            if isinstance(v, dict | list):
                v = json.dumps(v, ensure_ascii=False, default=str)
            elif k.startswith("last_") and isinstance(v, str):
                v = human(v)
            lines.append(f"  {k}: {v}")
    return "\n".join(lines)


def _figures(run: dict[str, Any]) -> str:
    f = run.get("figures") or {}
    if run["job"] == "crawl" and f:
        from crawler.counts import SHOWN

        return " (" + " ".join(f"{k}={f.get(k)}" for k in SHOWN if k in f) + ")"
    if run["job"] == "report" and f.get("delivered"):
        return " -> " + ", ".join(f["delivered"])
    return ""
