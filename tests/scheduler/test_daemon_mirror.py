"""The daemon with the real crawler against the mirror site on 127.0.0.1, and the real reports."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from chihwatch.demo.mirror import MirrorServer
from crawler.settings import POLITE_OFF
from storage import open_store
from tests.scheduler.daemonproc import DaemonProc, child_pids

ROOT = Path(__file__).resolve().parents[2]
Start = Callable[[list[str], dict[str, str]], DaemonProc]


@pytest.fixture
def mirror() -> Iterator[MirrorServer]:
    m = MirrorServer(ROOT / "fixtures" / "site", state="state1").start()
    yield m
    m.stop()


def mirror_config(
    path: Path, mirror: MirrorServer, *, crawl: str, report: str, report_dir: Path
) -> Path:
    """A daemon config crawling the mirror without politeness delays."""
    settings = "\n".join(f"{k} = {json.dumps(v)}" for k, v in POLITE_OFF.items())
    path.write_text(
        f"""
start_urls = ["{mirror.url}/html/hotnews/yaowen/", "{mirror.url}/yaowen/node_479.html"]

[crawl]
interval = "{crawl}"
timeout = "60s"

[crawl.settings]
{settings}

[report]
interval = "{report}"
formats = ["json", "md"]
dir = "{report_dir}"
""",
        encoding="utf-8",
    )
    return path


def _urls(db_url: str) -> set[str]:
    store = open_store(db_url)
    try:
        return {i["url"] for i in store.list_installments()}
    finally:
        if hasattr(store, "close"):
            store.close()


def _wait(pred: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_daemon_picks_up_a_new_installment_and_writes_the_report(
    db_url: str,
    mirror: MirrorServer,
    daemon_env: dict[str, str],
    start_daemon: Start,
    tmp_path: Path,
) -> None:
    reports = tmp_path / "reports"
    cfg = mirror_config(
        tmp_path / "daemon.toml", mirror, crawl="2s", report="6s", report_dir=reports
    )
    d = start_daemon(["daemon", "--db", db_url, "--config", str(cfg)], daemon_env)
    d.wait_for("crawl #1 ok", timeout=60)
    before = _urls(db_url)
    assert len(before) >= 5  # state 1 holds the series so far

    # Publish: the mirror moves to state 2, which lists one installment more.
    mirror.set_state("state2")
    published = time.monotonic()
    new = _wait(lambda: _urls(db_url) - before, 60, "the new installment in the store")
    latency = time.monotonic() - published
    assert len(new) == 1, new
    (new_url,) = new
    assert "/yaowen/2025-02/11/" in new_url
    assert latency < 2 + 15  # one interval plus a crawl, with room for a slow machine
    # The crawl that stored it ends with its one line of figures.
    d.wait_for("new_installments=1", timeout=30)

    # The report job (every 6 s here) writes a report that lists it.
    def report_with_new() -> bool:
        for f in reports.glob("*.json"):
            data = json.loads(f.read_text("utf-8"))
            if any(i["url"] == new_url for i in data.get("new_installments", [])):
                return True
        return False

    _wait(report_with_new, 30, "a report listing the new installment")
    # The same run writes the other format right after the JSON.
    _wait(lambda: list(reports.glob("*.md")), 10, "every configured format written")
    d.wait_for("scheduler.daemon: report #")  # its log line follows the files
    assert d.stop() == 0, d.text()
    out = d.text()
    report_lines = [ln for ln in out.splitlines() if "scheduler.daemon: report #" in ln]
    assert report_lines and all(" ok in " in ln for ln in report_lines)
    # One log line per crawl, with its figures.
    crawl_lines = [ln for ln in out.splitlines() if "scheduler.daemon: crawl #" in ln]
    done = [ln for ln in crawl_lines if " ok in " in ln]
    assert done and all("fetched=" in ln and "new_installments=" in ln for ln in done)
    # The stop may have cut a crawl short; nothing else is allowed.
    assert all(" ok in " in ln or " interrupted after " in ln for ln in crawl_lines)


class Hang:
    """A mirror fault: the request hangs until released (or 30 s), then gets a 503."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.hit = threading.Event()

    def __call__(self, handler: BaseHTTPRequestHandler, server: MirrorServer) -> tuple[int, int]:
        self.hit.set()
        self.release.wait(30)
        try:
            handler.send_response(503)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        except OSError:  # the crawler is gone
            pass
        return 503, 0


def _article(path: str) -> bool:
    return path.endswith(".html") and "/20" in path  # dated article paths, not list pages


class AfterNArticles:
    """A fault predicate: article requests after the first `n` (so a crawl stores some, then hangs)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.seen = 0
        self._lock = threading.Lock()

    def __call__(self, path: str) -> bool:
        if not _article(path):
            return False
        with self._lock:
            self.seen += 1
            return self.seen > self.n


def _installment_keys(db_url: str) -> list[tuple[int, int]]:
    store = open_store(db_url)
    try:
        return sorted((i["year"], i["installment"]) for i in store.list_installments())
    finally:
        if hasattr(store, "close"):
            store.close()


def test_sigterm_mid_crawl_leaves_a_consistent_database(
    db_url: str,
    mirror: MirrorServer,
    daemon_env: dict[str, str],
    start_daemon: Start,
    tmp_path: Path,
) -> None:
    hang = Hang()
    mirror.faults.append((AfterNArticles(3), hang))
    cfg = mirror_config(
        tmp_path / "daemon.toml", mirror, crawl="1h", report="1h", report_dir=tmp_path / "reports"
    )
    d = start_daemon(["daemon", "--db", db_url, "--config", str(cfg)], daemon_env)
    try:
        assert hang.hit.wait(60), d.text()
        time.sleep(0.5)  # let the other article responses reach the store meanwhile
        t0 = time.monotonic()
        assert d.stop() == 0, d.text()
        assert time.monotonic() - t0 < 8
    finally:
        hang.release.set()
    out = d.text()
    assert "crawl #1 interrupted" in out
    assert not child_pids(d.pid)
    partial = _installment_keys(db_url)
    assert len(partial) == len(set(partial))

    # A restart without the fault completes the crawl: nothing lost, nothing twice.
    mirror.faults.clear()
    d2 = start_daemon(["daemon", "--db", db_url, "--config", str(cfg)], daemon_env)
    d2.wait_for("crawl #2 ok", timeout=60)
    assert d2.stop() == 0
    full = _installment_keys(db_url)
    assert len(full) == len(set(full)) and set(partial) <= set(full)
    fresh = f"sqlite:///{tmp_path / 'reference.db'}"
    from crawler.run import crawl_in_subprocess

    crawl_in_subprocess(
        fresh,
        [f"{mirror.url}/html/hotnews/yaowen/", f"{mirror.url}/yaowen/node_479.html"],
        timeout=60,
        settings=POLITE_OFF,
        progress=lambda line: None,
    )
    assert full == _installment_keys(fresh)  # same as one uninterrupted crawl


def test_killed_real_crawl_child_does_not_stop_the_daemon(
    sqlite_url: str,
    mirror: MirrorServer,
    daemon_env: dict[str, str],
    start_daemon: Start,
    tmp_path: Path,
) -> None:
    hang = Hang()
    mirror.faults.append((_article, hang))
    cfg = mirror_config(
        tmp_path / "daemon.toml", mirror, crawl="2s", report="1h", report_dir=tmp_path / "reports"
    )
    d = start_daemon(["daemon", "--db", sqlite_url, "--config", str(cfg)], daemon_env)
    try:
        assert hang.hit.wait(60), d.text()
        (child,) = child_pids(d.pid)
        os.kill(child, signal.SIGKILL)
        out = d.wait_for("crawl #1 failed")
        assert "killed by signal 9" in out
    finally:
        mirror.faults.clear()
        hang.release.set()
    d.wait_for("crawl #2 ok", timeout=60)
    assert d.proc.poll() is None
    assert len(_installment_keys(sqlite_url)) >= 5
    assert d.stop() == 0
