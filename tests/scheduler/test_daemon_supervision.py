"""The daemon process: signals, crawl children, the lock and the stored schedule (real processes).

The crawl here is tests/scheduler/fakecrawl.py, whose child is a sleeping Python process, so each
test decides how long a crawl lasts and can kill the child; test_daemon_mirror.py runs the real
crawler against the mirror site.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import sqlalchemy as sa

from scheduler import lock
from scheduler.daemon import CRAWL_IMPL_ENV
from scheduler.state import RunLog, make_engine, stored_jobs
from tests.scheduler.daemonproc import DaemonProc

Start = Callable[[list[str], dict[str, str]], DaemonProc]
# The fake crawl never fetches; a loopback start URL exempts the 1-minute minimum interval that
# protects a real site (scheduler/config.py), as it does for the mirror.
MIRROR = "http://127.0.0.1:9/"


def _env(base: dict[str, str], sleep: float) -> dict[str, str]:
    env = dict(base)
    env[CRAWL_IMPL_ENV] = "tests.scheduler.fakecrawl:crawl_in_subprocess"
    env["FAKECRAWL_SLEEP"] = str(sleep)
    return env


def _child_pids(env: dict[str, str], n: int = 1, timeout: float = 20) -> list[int]:
    path = Path(env["FAKECRAWL_PIDS"])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            pids = [int(x) for x in path.read_text().split()]
            if len(pids) >= n:
                return pids
        time.sleep(0.05)
    raise AssertionError(f"fewer than {n} crawl children started")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return b") Z" not in f.read()
    except OSError:
        return False


def _runs(db_url: str) -> list[tuple[str, str]]:
    engine = make_engine(db_url)
    try:
        return [(r.job, r.status) for r in reversed(RunLog(engine).recent(1000))]
    finally:
        engine.dispose()


def _next_runs(db_url: str) -> dict[str, str | None]:
    engine = make_engine(db_url)
    try:
        return {j["id"]: j["next_run"] for j in stored_jobs(engine)}
    finally:
        engine.dispose()


def _assert_consistent(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                assert conn.execute(sa.text("PRAGMA integrity_check")).scalar() == "ok"
            running = conn.execute(
                sa.text(
                    "SELECT count(*) FROM scheduler_runs WHERE status = 'running' OR finished IS NULL"
                )
            ).scalar()
            assert running == 0
    finally:
        engine.dispose()


def test_sigterm_during_a_crawl_stops_child_and_exits_zero(
    db_url: str, daemon_env: dict[str, str], start_daemon: Start
) -> None:
    env = _env(daemon_env, sleep=60)
    d = start_daemon(["daemon", "--db", db_url, "--crawl-interval", "1h"], env)
    (child,) = _child_pids(env)
    assert _alive(child)
    t0 = time.monotonic()
    assert d.stop(signal.SIGTERM) == 0, d.text()
    assert time.monotonic() - t0 < 6, "stopping took too long"
    assert not _alive(child), "the crawl child outlived the daemon"
    assert _runs(db_url) == [("crawl", "interrupted")]
    assert lock.current_holder(db_url) is None
    _assert_consistent(db_url)
    assert "daemon stopped" in d.text()


def test_sigint_when_idle_exits_zero(
    sqlite_url: str, daemon_env: dict[str, str], start_daemon: Start
) -> None:
    env = _env(daemon_env, sleep=0)
    d = start_daemon(["daemon", "--db", sqlite_url, "--crawl-interval", "1h"], env)
    d.wait_for("crawl #1 ok")
    assert d.stop(signal.SIGINT) == 0, d.text()
    assert _runs(sqlite_url) == [("crawl", "ok")]
    _assert_consistent(sqlite_url)


def test_killed_crawl_child_does_not_stop_the_daemon(
    sqlite_url: str, daemon_env: dict[str, str], start_daemon: Start
) -> None:
    env = _env(daemon_env, sleep=60)
    d = start_daemon(
        ["daemon", "--db", sqlite_url, "--crawl-interval", "2s", "--start-url", MIRROR], env
    )
    (first,) = _child_pids(env)
    os.kill(first, signal.SIGKILL)
    d.wait_for("crawl #1 failed")
    # The next cycle starts a new child: the daemon goes on.
    pids = _child_pids(env, n=2)
    assert d.proc.poll() is None
    assert _alive(pids[1])
    assert d.stop() == 0
    runs = _runs(sqlite_url)
    assert runs[0] == ("crawl", "failed") and runs[1] == ("crawl", "interrupted")
    out = subprocess.run(
        [sys.executable, "-m", "chihwatch", "status", "--db", sqlite_url],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert out.returncode == 0, out.stderr
    assert "crawl child exited with code -9" in out.stdout  # the last error, shown by status
    assert "daemon:    not running" in out.stdout


def test_crawl_time_limit_kills_a_hung_crawl(
    sqlite_url: str, daemon_env: dict[str, str], start_daemon: Start, tmp_path: Path
) -> None:
    (tmp_path / "c.toml").write_text('[crawl]\ninterval = "1h"\ntimeout = "1s"\n')
    env = _env(daemon_env, sleep=60)
    d = start_daemon(["daemon", "--db", sqlite_url, "--config", str(tmp_path / "c.toml")], env)
    out = d.wait_for("crawl #1 failed")
    assert "timed out after 1s" in out
    assert d.proc.poll() is None
    assert d.stop() == 0


def test_second_daemon_is_refused_and_names_the_first(
    db_url: str, daemon_env: dict[str, str], start_daemon: Start, tmp_path: Path
) -> None:
    env = _env(daemon_env, sleep=0)
    # A report job is scheduled only with somewhere to deliver to (a directory here).
    first = start_daemon(
        ["daemon", "--db", db_url, "--crawl-interval", "1h", "--report-dir", str(tmp_path / "r")],
        env,
    )
    first.wait_for("crawl #1 ok")
    second = subprocess.run(
        [sys.executable, "-m", "chihwatch", "daemon", "--db", db_url, "--crawl-interval", "1h"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert second.returncode == 8, second.stderr
    assert f"pid {first.pid} " in second.stderr and "already running" in second.stderr
    assert len(second.stderr.strip().splitlines()) == 1
    assert "postgres:postgres" not in second.stderr  # no password in messages
    assert first.proc.poll() is None  # the first one is untouched
    status = subprocess.run(
        [sys.executable, "-m", "chihwatch", "status", "--db", db_url, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    assert data["daemon"]["running"] and data["daemon"]["pid"] == first.pid
    jobs = {j["id"]: j for j in data["jobs"]}
    assert jobs["crawl"]["schedule"] == "every 1h" and jobs["crawl"]["next_run"]
    assert jobs["crawl"]["last_run"]["status"] == "ok"
    assert jobs["crawl"]["last_run"]["figures"]["not_modified"] == 2  # fakecrawl's figures
    assert jobs["report"]["schedule"] == "cron '0 9 * * mon' Asia/Shanghai"
    assert "postgres:postgres" not in status.stdout
    assert first.stop() == 0


def test_restart_keeps_the_stored_next_run(
    db_url: str, daemon_env: dict[str, str], start_daemon: Start, tmp_path: Path
) -> None:
    env = _env(daemon_env, sleep=0)
    reports = ["--report-dir", str(tmp_path / "r")]  # a report job needs a target
    args = ["daemon", "--db", db_url, "--crawl-interval", "1h", *reports]
    d = start_daemon(args, env)
    d.wait_for("crawl #1 ok")
    before = _next_runs(db_url)
    assert set(before) == {"crawl", "report"}
    assert d.stop() == 0
    time.sleep(1.1)  # a recomputed schedule would now differ by at least a second
    d2 = start_daemon(args, env)
    out = d2.wait_for("report: resuming stored schedule")
    assert "crawl: resuming stored schedule (every 1h)" in out
    time.sleep(1.0)
    assert _next_runs(db_url) == before
    assert _runs(db_url) == [("crawl", "ok")]  # no crawl on restart: the next one is due in an hour
    assert d2.stop() == 0
    # A changed schedule replaces the stored one.
    d3 = start_daemon(["daemon", "--db", db_url, "--crawl-interval", "2h", *reports], env)
    d3.wait_for("crawl: rescheduled (every 2h)")
    assert d3.stop() == 0
    assert _next_runs(db_url)["crawl"] != before["crawl"]
    assert _next_runs(db_url)["report"] == before["report"]


def test_missed_runs_collapse_into_one_after_downtime(
    sqlite_url: str, daemon_env: dict[str, str], start_daemon: Start
) -> None:
    env = _env(daemon_env, sleep=0)
    args = ["daemon", "--db", sqlite_url, "--crawl-interval", "1s", "--start-url", MIRROR]
    d = start_daemon(args, env)
    d.wait_for("crawl #1 ok")
    assert d.stop() == 0
    n_before = len(_runs(sqlite_url))
    time.sleep(4)  # about four runs missed while it was down
    d2 = start_daemon(args, env)
    d2.wait_for("crawl: resuming stored schedule")
    d2.wait_for(f"crawl #{n_before + 1} ok")
    time.sleep(0.6)  # less than the interval: a burst would show several runs here
    assert d2.stop() == 0
    assert len(_runs(sqlite_url)) - n_before in (1, 2)


def test_postgres_lock_connection_lost_is_taken_again(
    pg_url: str, daemon_env: dict[str, str], start_daemon: Start
) -> None:
    env = _env(daemon_env, sleep=0)
    env["CHIHWATCH_DAEMON_LOCK_CHECK"] = "0.3"
    d = start_daemon(["daemon", "--db", pg_url, "--crawl-interval", "1h"], env)
    d.wait_for("crawl #1 ok")
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            # What a server restart or a dropped network connection does to the lock's session.
            killed = conn.execute(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = 'chihwatch daemon lock' AND datname = current_database()"
                )
            ).scalar()
        assert killed == 1
    finally:
        engine.dispose()
    d.wait_for("daemon lock taken again")
    holder = lock.current_holder(pg_url)
    assert holder is not None and holder.pid == d.pid
    assert d.stop() == 0


class _Hook(BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        n = int(self.headers.get("Content-Length", "0"))
        _Hook.bodies.append(self.rfile.read(n))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def test_report_job_delivers_and_logs_no_secrets(
    sqlite_url: str, daemon_env: dict[str, str], start_daemon: Start, tmp_path: Path
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        secret = "s3cr3t-token-value"
        hook = f"http://127.0.0.1:{server.server_address[1]}/hook?token={secret}"
        cfg = tmp_path / "c.toml"
        cfg.write_text(
            f'log_file = "logs/daemon.log"\n[crawl]\ninterval = "1h"\n'
            f'[report]\ninterval = "2s"\nformats = ["json", "html"]\ndir = "out"\n'
            f'[[report.targets]]\ntype = "webhook"\nurl = "{hook}"\n',
            encoding="utf-8",
        )
        env = _env(daemon_env, sleep=0)
        d = start_daemon(["daemon", "--db", sqlite_url, "--config", str(cfg)], env)
        d.wait_for("report #", timeout=30)
        out = d.wait_for(" ok in ", count=2)  # crawl #1 and the report
        assert d.stop() == 0
    finally:
        server.shutdown()
        server.server_close()
    assert _Hook.bodies, "the webhook got the report"
    assert sorted(p.suffix for p in (tmp_path / "out").iterdir()) == [".html", ".json"]
    log_file = (tmp_path / "logs" / "daemon.log").read_text(encoding="utf-8")
    assert "report #" in log_file and "crawl #1 ok" in log_file  # the rotated file gets the lines
    for text in (out, log_file):
        assert secret not in text
    status = subprocess.run(
        [sys.executable, "-m", "chihwatch", "status", "--db", sqlite_url, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert secret not in status.stdout
    report = {j["id"]: j for j in json.loads(status.stdout)["jobs"]}["report"]
    assert report["last_run"]["status"] == "ok" and report["schedule"] == "every 2s"
