"""Crawler behaviour beyond the happy path: explicit URLs, bounds, retries, redirects, failures, CLI."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from chihwatch.demo.mirror import MirrorServer
from chihwatch.errors import NetworkError
from tests.support.crawlkit import LAYOUT, ROOT, crawl

S1 = LAYOUT["states"]["state1"]["installments"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_explicit_article_url_only_fetches_that_article(
    sqlite_url: str, mirror: MirrorServer
) -> None:
    from storage import open_store

    summary = crawl(sqlite_url, mirror, [mirror.url + S1["2024-5"]])
    assert summary.new_installments == 1 and summary.list_pages == 0
    assert [e.path for e in mirror.request_log] == ["/robots.txt", S1["2024-5"]]
    with open_store(sqlite_url) as store:
        [item] = store.list_installments()
    assert (item["year"], item["installment"]) == (2024, 5)  # the GBK page, decoded from <meta>


def test_list_pages_bound(sqlite_url: str, mirror: MirrorServer) -> None:
    summary = crawl(sqlite_url, mirror, CHIHWATCH_MAX_LIST_PAGES=1)
    paths = {e.path for e in mirror.request_log}
    assert "/html/hotnews/yaowen/2.html" not in paths  # page 2 of the older list not read
    assert summary.list_pages == 2
    # First pages (six items each, newest first, fixtures/site/build.py): the older list shows the
    # robots trap, the mailto link, two news items, 2024 ⑤ and ④; the newer one the offsite link,
    # two news items, 2025 ③, ② and ①. Nothing else is fetched.
    on_first_pages = {S1[r] for r in ("2024-5", "2024-4", "2025-3", "2025-2", "2025-1")}
    assert {p for p in paths if p in S1.values()} == on_first_pages
    assert summary.new_installments == 5


def test_retries_5xx_with_backoff_then_stores(sqlite_url: str, mirror: MirrorServer) -> None:
    target = S1["2025-2"]
    failures = {"left": 2}

    def flaky(handler: BaseHTTPRequestHandler, server: MirrorServer) -> tuple[int, int]:
        if failures["left"] == 0:
            server.faults.clear()
            return handler._serve_file(server.state, target, {}, False)  # type: ignore[attr-defined]
        failures["left"] -= 1
        handler.send_response(503)
        handler.send_header("Content-Length", "0")
        handler.record(503, 0)  # type: ignore[attr-defined]
        handler.end_headers()
        return 503, 0

    mirror.faults.append((lambda path: path == target, flaky))
    summary = crawl(sqlite_url, mirror, CHIHWATCH_RETRY_BACKOFF=0.3)
    hits = [e for e in mirror.request_log if e.path == target]
    assert [e.status for e in hits] == [503, 503, 200]
    gaps = [b.at - a.at for a, b in zip(hits, hits[1:], strict=False)]
    assert gaps[0] >= 0.3 and gaps[1] >= 0.6  # 0.3 s, then doubled
    assert summary.new_installments == 9 and summary.errors == 0


def test_redirect_offsite_is_not_followed(sqlite_url: str, mirror: MirrorServer) -> None:
    target = S1["2025-3"]

    def offsite(handler: BaseHTTPRequestHandler, server: MirrorServer) -> tuple[int, int]:
        handler.send_response(302)
        handler.send_header("Location", f"http://localhost:{server.port}{target}")
        handler.send_header("Content-Length", "0")
        handler.record(302, 0)  # type: ignore[attr-defined]
        handler.end_headers()
        return 302, 0

    def to_file(handler: BaseHTTPRequestHandler, server: MirrorServer) -> tuple[int, int]:
        handler.send_response(301)
        handler.send_header("Location", "file:///etc/passwd")
        handler.send_header("Content-Length", "0")
        handler.record(301, 0)  # type: ignore[attr-defined]
        handler.end_headers()
        return 301, 0

    mirror.faults.append((lambda path: path == target, offsite))
    mirror.faults.append((lambda path: path == S1["2025-1"], to_file))
    summary = crawl(sqlite_url, mirror)
    assert {e.host for e in mirror.request_log} == {f"127.0.0.1:{mirror.port}"}
    assert [e.status for e in mirror.request_log if e.path == target] == [302]
    assert summary.new_installments == 7
    assert summary.errors == 2
    assert any("redirect out of scope" in m and "localhost" in m for m in summary.error_messages)
    assert any("redirect not followed: file:///etc/passwd" in m for m in summary.error_messages)


def test_redirect_loop_and_oversized_pages_are_recorded(
    sqlite_url: str, mirror: MirrorServer
) -> None:
    from sqlalchemy import create_engine, text

    loop, big = S1["2025-3"], S1["2025-2"]

    def redirect_to_self(handler: BaseHTTPRequestHandler, server: MirrorServer) -> tuple[int, int]:
        handler.send_response(302)
        handler.send_header("Location", loop)
        handler.send_header("Content-Length", "0")
        handler.record(302, 0)  # type: ignore[attr-defined]
        handler.end_headers()
        return 302, 0

    mirror.faults.append((lambda path: path == loop, redirect_to_self))
    summary = crawl(sqlite_url, mirror, DOWNLOAD_MAXSIZE=10_000)  # every article is larger
    assert summary.new_installments == 0
    engine = create_engine(sqlite_url)
    with engine.connect() as conn:
        rows = dict(
            conn.execute(
                text("select p.url, f.error from fetches f join pages p on p.id = f.page_id")
            ).all()
        )
    engine.dispose()
    assert "redirect" in rows[mirror.url + loop]
    assert "dropped" in rows[mirror.url + big] or "size" in rows[mirror.url + big].lower()
    assert summary.errors == len(S1)


def test_timeout_kills_the_crawl_child(sqlite_url: str, mirror: MirrorServer) -> None:
    release = threading.Event()

    def hang(handler: BaseHTTPRequestHandler, server: MirrorServer) -> tuple[int, int]:
        release.wait(30)
        return 0, 0

    mirror.faults.append((lambda path: path == "/robots.txt", hang))
    from crawler.run import crawl_in_subprocess

    began = time.monotonic()
    try:
        with pytest.raises(NetworkError, match="timed out"):
            crawl_in_subprocess(sqlite_url, [mirror.url + "/yaowen/node_479.html"], timeout=4)
    finally:
        release.set()
    assert time.monotonic() - began < 15


def test_unreachable_site_is_a_network_error(sqlite_url: str) -> None:
    from crawler.run import crawl_in_subprocess

    url = f"http://127.0.0.1:{_free_port()}/yaowen/node_479.html"
    with pytest.raises(NetworkError, match="could not reach 127.0.0.1"):
        crawl_in_subprocess(
            sqlite_url,
            [url],
            timeout=60,
            settings={"RETRY_TIMES": 0, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False},
        )


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CHIHWATCH_HOME": str(home)}
    env.pop("CHIHWATCH_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "chihwatch", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=ROOT,
    )


def test_cli_crawl_prints_progress_and_summary(tmp_path: Path, mirror: MirrorServer) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    starts = [f"--start-url={mirror.url}{p}" for p in LAYOUT["start_paths"]]
    proc = _cli("--db", db, "crawl", "--no-delay", *starts, home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "new installments     9" in proc.stdout and "errors               0" in proc.stdout
    assert (
        "new installment" in proc.stderr and S1["2024-5"] in proc.stderr
    )  # progress while it runs


def test_cli_crawl_says_what_the_revisit_policy_left(tmp_path: Path, mirror: MirrorServer) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    starts = [f"--start-url={mirror.url}{p}" for p in LAYOUT["start_paths"]]
    assert _cli("--db", db, "crawl", "--no-delay", "-q", *starts, home=tmp_path).returncode == 0
    again = _cli("--db", db, "crawl", "--no-delay", "-q", *starts, home=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "not due              9 known pages checked lately, not asked again" in again.stdout
    assert "not modified (304)   0" in again.stdout
    every = _cli(
        "--db", db, "crawl", "--no-delay", "-q", "--revisit-after", "0", *starts, home=tmp_path
    )
    assert every.returncode == 0, every.stderr
    assert "not modified (304)   9" in every.stdout and "not due" not in every.stdout
    bad = _cli("--db", db, "crawl", "--revisit-after", "daily", *starts, home=tmp_path)
    assert bad.returncode == 2
    assert "Invalid value for '--revisit-after': expected a duration" in bad.stderr


def test_cli_crawl_failures_are_one_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}/yaowen/node_479.html"
    proc = _cli(
        "--db",
        f"sqlite:///{tmp_path / 'x.db'}",
        "crawl",
        "--no-delay",
        "-q",
        "--start-url",
        url,
        home=tmp_path,
    )
    assert proc.returncode == 7
    assert proc.stderr.strip().splitlines()[-1].startswith("chihwatch: could not reach 127.0.0.1")
    assert "Traceback" not in proc.stderr
    proc = _cli(
        "crawl",
        "--no-delay",
        "--start-url",
        "http://www.chinahightech.com/yaowen/node_479.html",
        home=tmp_path,
    )
    assert proc.returncode == 9 and "only for a local mirror" in proc.stderr
    proc = _cli("crawl", "--start-url", "file:///etc/passwd", home=tmp_path)
    assert proc.returncode == 9 and "http(s)" in proc.stderr


def test_cli_serve_mirror_serves_the_chosen_state(tmp_path: Path) -> None:
    import urllib.error
    import urllib.request

    env = {**os.environ, "CHIHWATCH_HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "chihwatch", "serve-mirror", "--state", "state3", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("serving ") and "state3" in first
        base = first.split(" at ")[1].split("/ ")[0]
        assert base.startswith("http://127.0.0.1:")
        removed = LAYOUT["states"]["state1"]["installments"]["2023-3"]
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(base + removed, timeout=5)
        assert info.value.code == 404  # state3: removed
        with urllib.request.urlopen(base + "/robots.txt", timeout=5) as resp:
            assert b"Disallow: /preview/" in resp.read()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
