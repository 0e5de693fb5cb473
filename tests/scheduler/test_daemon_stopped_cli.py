"""Issue 15: what `status` and the weekly report say after the daemon stopped (real daemons).

The crawl is tests/scheduler/fakecrawl.py (a sleeping child), as in test_daemon_supervision.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from scheduler.daemon import CRAWL_IMPL_ENV
from tests.scheduler.daemonproc import DaemonProc

Start = Callable[[list[str], dict[str, str]], DaemonProc]
CHIHWATCH = Path(sys.executable).with_name("chihwatch")


def _env(base: dict[str, str], sleep: float) -> dict[str, str]:
    env = dict(base)
    env[CRAWL_IMPL_ENV] = "tests.scheduler.fakecrawl:crawl_in_subprocess"
    env["FAKECRAWL_SLEEP"] = str(sleep)
    env.pop("CHIHWATCH_TZ", None)
    return env


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHIHWATCH), *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_status_after_the_daemon_stopped_shows_no_next_run(
    sqlite_url: str, daemon_env: dict[str, str], start_daemon: Start
) -> None:
    env = _env(daemon_env, sleep=0)
    # A 30 s interval is allowed only for a crawl of this machine (issue 10: 1 min for a real site).
    mirror = "http://127.0.0.1:9/"
    args = ["daemon", "--db", sqlite_url, "--crawl-interval", "30s", "--start-url", mirror]
    d = start_daemon(args, env)
    d.wait_for("crawl #1 ok")
    running = _cli("status", "--db", sqlite_url, env=env)
    assert running.returncode == 0, running.stderr
    assert "daemon:    running" in running.stdout and "next run 20" in running.stdout
    assert d.stop(signal.SIGTERM) == 0, d.text()

    out = _cli("status", "--db", sqlite_url, env=env)
    assert out.returncode == 0, out.stderr
    assert "daemon:    not running" in out.stdout
    crawl_line = next(ln for ln in out.stdout.splitlines() if ln.startswith("  crawl "))
    assert "next run 20" not in crawl_line and "stopped, no next run" in crawl_line
    assert "was " in crawl_line  # the schedule it had, named as past
    # Human times in the one display zone, said once; the JSON keeps offsets.
    assert "times in:  Asia/Shanghai" in out.stdout and "+00:00" not in out.stdout
    js = _cli("status", "--json", "--db", sqlite_url, env=env)
    assert '+00:00"' in js.stdout


def test_a_clean_stop_during_a_crawl_reads_as_a_stop_not_a_kill(
    db_url: str, daemon_env: dict[str, str], start_daemon: Start, tmp_path: Path
) -> None:
    env = _env(daemon_env, sleep=60)
    d = start_daemon(["daemon", "--db", db_url, "--crawl-interval", "1h"], env)
    pids = Path(env["FAKECRAWL_PIDS"])
    deadline = time.monotonic() + 20
    while not (pids.exists() and pids.read_text().split()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert d.stop(signal.SIGTERM) == 0, d.text()

    md = _cli("report", "--db", db_url, env=env)
    assert md.returncode == 0, md.stderr
    assert (
        "采集：本期 1 次，成功 0 次，失败 0 次，因守护进程停止而中止 1 次（不是故障）" in md.stdout
    )
    assert "killed by signal" not in md.stdout and "采集异常" not in md.stdout
    html = _cli("report", "--format", "html", "--db", db_url, env=env)
    assert "因守护进程停止而中止 1 次（不是故障）" in html.stdout
    assert "killed by signal" not in html.stdout


def test_a_week_without_any_crawl_says_so(sqlite_url: str, tmp_path: Path) -> None:
    from storage import open_store

    open_store(sqlite_url).close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHIHWATCH_")}
    env["CHIHWATCH_HOME"] = str(tmp_path / "home")
    md = _cli("report", "--db", sqlite_url, env=env)
    assert md.returncode == 0, md.stderr
    assert "本期没有任何采集" in md.stdout and "最近一次成功采集：无" in md.stdout
    atom = _cli("report", "--format", "atom", "--db", sqlite_url, env=env)
    assert "本期没有任何采集" in atom.stdout
