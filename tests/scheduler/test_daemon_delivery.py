"""The daemon's report deliveries against hostile servers: it stops within 10 s of SIGTERM/SIGINT
whatever a target is doing, owed deliveries are retried (at the next start, and with backoff while
it runs), and SIGHUP reloads the config. Real daemon processes, real servers on 127.0.0.1."""

from __future__ import annotations

import json
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from scheduler.daemon import CRAWL_IMPL_ENV
from scheduler.state import make_engine
from tests.scheduler.daemonproc import DaemonProc
from tests.support.hostile import dripping_http, dripping_smtp, garbage_http

Start = Callable[[list[str], dict[str, str]], DaemonProc]
MIRROR = "http://127.0.0.1:9/"  # the fake crawl never fetches it
# The webhook target, identical in every config of a test (its key is what a retry matches);
# the URL itself comes from the environment, so a restart can point it at a mended server.
HOOK = '[[report.targets]]\ntype = "webhook"\nurl_env = "CW_TEST_HOOK"\ndeadline = "10m"\n'


def _env(base: dict[str, str], hook: str, **extra: str) -> dict[str, str]:
    env = dict(base)
    env[CRAWL_IMPL_ENV] = "tests.scheduler.fakecrawl:crawl_in_subprocess"
    env["FAKECRAWL_SLEEP"] = "0"
    env["CW_TEST_HOOK"] = hook
    env.update(extra)
    return env


def _config(path: Path, report_interval: str, targets: str = HOOK) -> Path:
    path.write_text(
        f'start_urls = ["{MIRROR}"]\n[crawl]\ninterval = "1h"\n'
        f'[report]\ninterval = "{report_interval}"\nformats = ["json"]\n{targets}',
        encoding="utf-8",
    )
    return path


def _report_runs(db_url: str) -> list[dict[str, Any]]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT id, status, figures, error FROM scheduler_runs "
                    "WHERE job = 'report' ORDER BY id"
                )
            ).all()
    finally:
        engine.dispose()
    return [
        {"id": r.id, "status": r.status, "figures": json.loads(r.figures or "{}"), "error": r.error}
        for r in rows
    ]


class _GoodHook(BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802
        n = int(self.headers.get("Content-Length") or 0)
        type(self).bodies.append(self.rfile.read(n))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def good_hook() -> Iterator[tuple[type[_GoodHook], str]]:
    handler = type("GoodHook", (_GoodHook,), {"bodies": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield handler, f"http://127.0.0.1:{server.server_address[1]}/hook/T0KEN"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=lambda s: s.name
)
def test_stop_during_a_dripping_delivery_then_the_next_start_delivers_it(
    sqlite_url: str,
    daemon_env: dict[str, str],
    start_daemon: Start,
    tmp_path: Path,
    good_hook: tuple[type[_GoodHook], str],
    sig: signal.Signals,
) -> None:
    handler, good_url = good_hook
    cfg = _config(tmp_path / "c.toml", "2s")
    with dripping_http(every=0.5) as slow:
        d = start_daemon(
            ["daemon", "--db", sqlite_url, "--config", str(cfg)],
            _env(daemon_env, f"{slow.url}/hook"),
        )
        d.wait_for("posting ")  # the report job is now stuck in the drip (10 min deadline)
        deadline_for_the_server = time.monotonic() + 10
        while not slow.bytes_received and time.monotonic() < deadline_for_the_server:
            time.sleep(0.05)
        t0 = time.monotonic()
        code = d.stop(sig, timeout=20)
        secs = time.monotonic() - t0
    assert secs < 10, f"daemon took {secs:.1f}s to stop during a delivery"
    if sig is signal.SIGKILL:
        assert code == -9
    else:
        assert code == 0, d.text()
        assert re.search(r"report #\d+ interrupted: .*interrupted \(daemon stopping\)", d.text())
    [first] = _report_runs(sqlite_url)
    assert first["status"] == ("running" if sig is signal.SIGKILL else "interrupted")
    owed = first["figures"]["pending"]
    assert len(owed) == 1 and owed[0].startswith("webhook-")

    # Restart with the endpoint mended (same target, the URL in its variable now answers):
    # the owed report is sent at once, for the same period, and recorded as a retry.
    cfg = _config(tmp_path / "c.toml", "1h")
    d2 = start_daemon(
        ["daemon", "--db", sqlite_url, "--config", str(cfg)], _env(daemon_env, good_url)
    )
    out = d2.wait_for("(retry of report #")
    assert "retrying 1 target(s), attempt 2 of 5" in out
    assert d2.stop() == 0
    runs = _report_runs(sqlite_url)
    assert [r["status"] for r in runs] == ["interrupted", "ok"]
    retry = runs[1]["figures"]
    assert retry["retry_of"] == first["id"] and retry["attempt"] == 2 and retry["pending"] == []
    assert (retry["since"], retry["until"]) == (
        first["figures"]["since"],
        first["figures"]["until"],
    )
    assert len(handler.bodies) == 1 and json.loads(handler.bodies[0])["since"]
    assert "T0KEN" not in d.text() + d2.text()


def test_sigterm_during_a_dripping_smtp_delivery_exits_within_10s(
    sqlite_url: str, daemon_env: dict[str, str], start_daemon: Start, tmp_path: Path
) -> None:
    with dripping_smtp(every=0.5) as slow:
        smtp = (
            '[[report.targets]]\ntype = "smtp"\nhost = "127.0.0.1"\n'
            f'port = {slow.port}\nsecurity = "none"\nfrom = "a@x.test"\nto = "b@x.test"\n'
            'deadline = "10m"\ntimeout = 30\n'
        )
        cfg = _config(tmp_path / "c.toml", "2s", smtp)
        d = start_daemon(["daemon", "--db", sqlite_url, "--config", str(cfg)], _env(daemon_env, ""))
        d.wait_for("sending report to b@x.test")
        time.sleep(1.0)
        t0 = time.monotonic()
        assert d.stop(timeout=20) == 0
        assert time.monotonic() - t0 < 10
    assert [r["status"] for r in _report_runs(sqlite_url)] == ["interrupted"]


def test_a_failing_target_is_retried_with_growing_waits_while_the_daemon_runs(
    sqlite_url: str, daemon_env: dict[str, str], start_daemon: Start, tmp_path: Path
) -> None:
    """Garbage answers (BadStatusLine) fail the report; retries follow after 1 s, then 4 s
    (CHIHWATCH_RETRY_BASE=1 stands for the default minute)."""
    cfg = _config(tmp_path / "c.toml", "1h")
    cfg.write_text(
        cfg.read_text().replace('interval = "1h"\nformats', 'cron = "0 9 * * mon"\nformats')
    )
    with garbage_http() as bad:
        env = _env(daemon_env, f"{bad.url}/hook", CHIHWATCH_RETRY_BASE="1", PYTHONFAULTHANDLER="1")
        # An owed report to start from: a run the previous daemon recorded as failed.
        d0 = start_daemon(["daemon", "--db", sqlite_url, "--config", str(cfg)], env)
        d0.wait_for("crawl #1 ok")
        assert d0.stop() == 0
        _fail_one_report(sqlite_url)
        d = start_daemon(["daemon", "--db", sqlite_url, "--config", str(cfg)], env)
        d.wait_for("attempt 3 of 5", timeout=30)
        out = d.wait_for("will be retried", count=2)  # attempts 2 and 3 both failed
        assert d.stop() == 0
    attempts = [line for line in out.splitlines() if "retrying 1 target(s)" in line]
    assert [a.split("attempt ")[1][:1] for a in attempts[:2]] == ["2", "3"]
    times = [_stamp(a) for a in attempts[:2]]
    assert times[1] - times[0] >= 3.5  # attempt 2 failed: 4 s before attempt 3, no burst
    runs = _report_runs(sqlite_url)
    assert [r["status"] for r in runs][:3] == ["failed", "failed", "failed"]
    assert "BadStatusLine" in (runs[1]["error"] or "")


def _stamp(line: str) -> float:
    m = re.match(r"\S+ (\d\d):(\d\d):(\d\d),(\d\d\d)", line)
    assert m, line
    h, mi, s, ms = (int(x) for x in m.groups())
    return h * 3600 + mi * 60 + s + ms / 1000


def _fail_one_report(db_url: str) -> None:
    """Record, as the daemon does, a report run whose webhook delivery failed a moment ago."""
    from reports.deliver import target_key
    from scheduler.state import RunLog

    # The key of HOOK's table as TOML reads it (env variable names, never their values).
    key = target_key({"type": "webhook", "url_env": "CW_TEST_HOOK", "deadline": "10m"})
    engine = make_engine(db_url)
    try:
        runs = RunLog(engine)
        figures = {
            "since": "2026-11-23T01:00:00+00:00",
            "until": "2026-11-30T01:00:00+00:00",
            "attempt": 1,
            "pending": [key],
        }
        run_id = runs.start("report", figures)
        runs.finish(run_id, "failed", figures=figures, error="webhook failed: BadStatusLine")
    finally:
        engine.dispose()


def test_sighup_reloads_the_config_and_keeps_the_old_one_if_the_new_one_is_bad(
    sqlite_url: str, daemon_env: dict[str, str], start_daemon: Start, tmp_path: Path
) -> None:
    cfg = _config(tmp_path / "c.toml", "1h", f'dir = "{tmp_path / "r"}"\n')
    d = start_daemon(["daemon", "--db", sqlite_url, "--config", str(cfg)], _env(daemon_env, ""))
    d.wait_for("crawl #1 ok")
    cfg.write_text(cfg.read_text().replace('[crawl]\ninterval = "1h"', '[crawl]\ninterval = "2h"'))
    d.proc.send_signal(signal.SIGHUP)
    out = d.wait_for("SIGHUP: config reloaded")
    assert "crawl: rescheduled (every 2h)" in out
    cfg.write_text(cfg.read_text() + "\n[crawl.settings]\nWHEN = 1979-05-27\n")
    d.proc.send_signal(signal.SIGHUP)
    out = d.wait_for("SIGHUP: config not reloaded, still running the old one")
    assert "crawl.settings.WHEN: a TOML date/time" in out
    time.sleep(0.5)
    assert d.proc.poll() is None  # still running: SIGHUP never kills it
    assert d.stop() == 0


def test_no_delivery_target_means_no_report_job_and_says_so(
    sqlite_url: str, daemon_env: dict[str, str], start_daemon: Start, tmp_path: Path
) -> None:
    cfg = _config(tmp_path / "c.toml", "2s", "")
    d = start_daemon(["daemon", "--db", sqlite_url, "--config", str(cfg)], _env(daemon_env, ""))
    out = d.wait_for("crawl #1 ok")
    assert "report: no delivery targets" in out and "the report job is not scheduled" in out
    time.sleep(2.5)
    assert d.stop() == 0
    assert _report_runs(sqlite_url) == []  # never an "ok" that went nowhere
