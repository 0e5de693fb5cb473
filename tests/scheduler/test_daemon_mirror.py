"""The daemon with the real crawler against the mirror site on 127.0.0.1, and the real reports."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from daemonproc import DaemonProc

from chihwatch.mirror import MirrorServer
from crawler.settings import POLITE_OFF
from storage import open_store

ROOT = Path(__file__).resolve().parents[2]
Start = Callable[[list[str], dict[str, str]], DaemonProc]


@pytest.fixture
def mirror() -> Iterator[MirrorServer]:
    m = MirrorServer(ROOT / "fixtures" / "site", state="state1").start()
    yield m
    m.stop()


def mirror_config(path: Path, mirror: MirrorServer, *, crawl: str, report: str,
                  report_dir: Path) -> Path:
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
    db_url: str, mirror: MirrorServer, daemon_env: dict[str, str], start_daemon: Start,
    tmp_path: Path,
) -> None:
    reports = tmp_path / "reports"
    cfg = mirror_config(tmp_path / "daemon.toml", mirror, crawl="2s", report="6s",
                        report_dir=reports)
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

    # The report job (every 6 s here) writes a report that lists it.
    def report_with_new() -> bool:
        for f in reports.glob("*.json"):
            data = json.loads(f.read_text("utf-8"))
            if any(i["url"] == new_url for i in data.get("new_installments", [])):
                return True
        return False

    _wait(report_with_new, 30, "a report listing the new installment")
    assert list(reports.glob("*.md")), "every configured format is written"
    out = d.text()
    assert "report #" in out and " ok in " in out
    assert d.stop() == 0, out
    # One log line per crawl, with its figures.
    crawl_lines = [ln for ln in out.splitlines() if "scheduler.daemon: crawl #" in ln]
    assert crawl_lines and all("fetched=" in ln and "new_installments=" in ln for ln in crawl_lines)
    assert any("new_installments=1" in ln for ln in crawl_lines)
