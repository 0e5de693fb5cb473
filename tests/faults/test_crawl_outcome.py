"""A crawl that did nothing, or could not store, never says "ok" (issue 10 §2); robots.txt per
RFC 9309. Each case is a real crawl (Scrapy in a child process) of the mirror on 127.0.0.1 into
real SQLite or PostgreSQL, or the real `chihwatch` console script; on today's main every one of
them exited 0 with a summary (or named the wrong cause).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from chihwatch.demo.mirror import MirrorServer
from chihwatch.errors import ConfigError, CrawlFailed, DatabaseError, NetworkError, OutputError
from crawler.run import crawl_in_subprocess
from tests.support.crawlkit import FAST, path_of, record_figures, start_urls
from tests.support.faults import FaultPlan, _send, delayed, stall
from tests.support.storecheck import snapshot

TIMEOUT = 90.0


def robots(body: bytes | str, code: int = 200, ctype: str = "text/plain"):  # noqa: ANN201
    """A fault answering /robots.txt with this body and status."""
    data = body.encode() if isinstance(body, str) else body

    def fault(handler: Any, server: MirrorServer) -> tuple[int, int]:
        return _send(handler, code, data, ctype)

    return fault


def on_robots(plan: FaultPlan, name: str, fault: Any) -> None:
    plan.add(name, fault, lambda p: p == "/robots.txt")


def run(db_url: str, site: MirrorServer, **settings: Any) -> Any:
    return crawl_in_subprocess(
        db_url, start_urls(site), timeout=TIMEOUT, settings={**FAST, **settings}
    )


@pytest.fixture
def figures() -> Iterator[dict[str, int]]:
    """Counts for bench/faults.py: one crawl-outcome case; a silent "ok" unless the test says not."""
    fig = {"outcome_cases": 1, "silent_ok_runs": 1}
    yield fig
    record_figures(**fig)


def expect_failure(
    exc_type: type[Exception],
    match: str,
    db_url: str,
    site: MirrorServer,
    fig: dict[str, int],
    **settings: Any,
) -> str:
    try:
        summary = run(db_url, site, **settings)
    except exc_type as exc:
        message = str(exc)
        assert "\n" not in message
        import re

        assert re.search(match, message), message
        fig["silent_ok_runs"] = 0
        return message
    raise AssertionError(f"crawl said ok: {summary}")


def article_requests(site: MirrorServer) -> list[str]:
    return [r.path for r in site.request_log if r.path.endswith(".html") and "/20" in r.path]


# -- robots.txt ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_robots_forbidding_the_start_pages_is_a_failed_crawl(
    site: MirrorServer, plan: FaultPlan, store_url: str, figures: dict[str, int]
) -> None:
    on_robots(plan, "robots_all", robots("User-agent: *\nDisallow: /\n"))
    before = snapshot(store_url)
    msg = expect_failure(
        CrawlFailed,
        r"robots\.txt forbids the start pages .*0 list pages read",
        store_url,
        site,
        figures,
    )
    assert site.url + "/html/hotnews/yaowen/" in msg
    assert [r.path for r in site.request_log] == ["/robots.txt"]
    assert len(snapshot(store_url).fetches) == len(before.fetches)


@pytest.mark.slow
@pytest.mark.parametrize("code", [500, 503])
def test_robots_5xx_disallows_everything_and_fails_the_crawl(
    code: int, site: MirrorServer, plan: FaultPlan, store_url: str, figures: dict[str, int]
) -> None:
    on_robots(plan, f"robots_{code}", robots(f"<h1>{code}</h1>", code, "text/html"))
    expect_failure(
        NetworkError,
        rf"robots\.txt of 127\.0\.0\.1:\d+ unreachable \(HTTP {code}\)",
        store_url,
        site,
        figures,
    )
    # Retried as any 5xx, then nothing else asked for: not a list page, not a known article.
    assert {r.path for r in site.request_log} == {"/robots.txt"}


@pytest.mark.slow
def test_robots_timeout_disallows_everything_and_fails_the_crawl(
    site: MirrorServer, plan: FaultPlan, store_url: str, figures: dict[str, int]
) -> None:
    on_robots(plan, "robots_timeout", stall(30.0, plan.stop))
    expect_failure(
        NetworkError,
        r"could not reach 127\.0\.0\.1:\d+: .*robots\.txt took longer than .*robots\.txt unreachable",
        store_url,
        site,
        figures,
    )
    # A stalled answer is never logged as sent; nothing else was asked for.
    assert plan.hits["robots_timeout"] >= 1
    assert {r.path for r in site.request_log} <= {"/robots.txt"}


@pytest.mark.slow
def test_robots_404_allows_everything_whatever_its_body_says(
    site: MirrorServer, plan: FaultPlan, store_url: str, figures: dict[str, int]
) -> None:
    # A 404 page that happens to read like a robots.txt: RFC 9309 says 4xx = no rules at all.
    on_robots(plan, "robots_404", robots("User-agent: *\nDisallow: /\n", 404))
    summary = run(store_url, site)
    figures["silent_ok_runs"] = 0
    assert summary.list_pages == 3 and summary.errors == 0, summary
    # Even what the healthy robots.txt forbids (/preview/) is allowed now.
    assert any(p.startswith("/preview/") for p in article_requests(site))


@pytest.mark.slow
def test_robots_larger_than_the_download_limit_is_parsed_not_ignored(
    site: MirrorServer, plan: FaultPlan, store_url: str, figures: dict[str, int]
) -> None:
    # 6 MiB (more than DOWNLOAD_MAXSIZE, 5 MiB); its rules within the first 500 KiB. Scrapy
    # dropped the whole file (download cancelled) and then allowed everything.
    forbidden = path_of("2024-2")
    head = f"User-agent: *\nDisallow: /preview/\nDisallow: {forbidden}\n"
    filler = "".join(f"# line {i} of a very long robots.txt\n" for i in range(200_000))
    body = (head + "# " + "x" * 400_000 + "\n" + filler).encode()
    assert len(body) > 6 * 1024 * 1024 and body.index(forbidden.encode()) < 500 * 1024
    on_robots(plan, "robots_huge", robots(body))
    summary = run(store_url, site)
    figures["silent_ok_runs"] = 0
    assert summary.list_pages == 3, summary
    paths = article_requests(site)
    assert forbidden not in paths and not any(p.startswith("/preview/") for p in paths)
    assert path_of("2024-1") in paths  # the rest is crawled


@pytest.mark.slow
def test_crawl_delay_is_honoured_and_bounded(
    site: MirrorServer, plan: FaultPlan, store_url: str, figures: dict[str, int]
) -> None:
    # A day between requests would never finish: our bound (0.4 s here) caps it; our own
    # delays are off (FAST), so every gap below comes from the site's Crawl-delay.
    on_robots(
        plan, "robots_delay", robots("User-agent: *\nCrawl-delay: 86400\nDisallow: /preview/\n")
    )
    began = time.monotonic()
    summary = run(store_url, site, CHIHWATCH_MAX_CRAWL_DELAY=0.4)
    figures["silent_ok_runs"] = 0
    assert time.monotonic() - began < 60
    assert summary.list_pages == 3 and summary.errors == 0, summary
    times = [r.at for r in site.request_log if r.path != "/robots.txt"]
    assert len(times) >= 10
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 0.3, gaps  # 0.4 s apart (less the server's timestamp jitter)


# -- the store ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_read_only_database_is_a_failed_crawl(
    site: MirrorServer, store_url: str, figures: dict[str, int]
) -> None:
    path = store_url.removeprefix("sqlite:///")
    site.set_state("state2")  # something to store: an edit and a new installment
    ro = f"sqlite:///file:{path}?mode=ro&uri=true"
    expect_failure(
        DatabaseError, r"store operation\(s\) failed .*readonly database", ro, site, figures
    )


@pytest.mark.slow
def test_corrupt_database_is_a_failed_crawl(
    site: MirrorServer, store_url: str, figures: dict[str, int]
) -> None:
    path = Path(store_url.removeprefix("sqlite:///"))
    data = bytearray(path.read_bytes())
    # Keep the header and the first pages (schema, alembic_version), garble the rest.
    for i in range(16 * 4096, len(data), 4096):
        data[i : i + 64] = b"\xa5" * 64
    path.write_bytes(bytes(data))
    expect_failure(DatabaseError, r"malformed|not a database|corrupt", store_url, site, figures)


def _limit_file_size(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


@pytest.mark.slow
def test_disk_full_is_a_failed_crawl_named_as_local(
    site: MirrorServer, store_url: str, tmp_path: Path, figures: dict[str, int]
) -> None:
    # No file may grow past 64 KiB (RLIMIT_FSIZE: writes fail with EFBIG, as on a full disk):
    # enough to open the store and start, not for the database's WAL to take a crawl's writes.
    # Through the real console script.
    site.set_state("state2")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "chihwatch",
            "--db",
            store_url,
            "crawl",
            "--no-delay",
            "-q",
            *sum((["--start-url", u] for u in start_urls(site)), []),
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        preexec_fn=lambda: _limit_file_size(64 * 1024),  # noqa: PLW1509 - only setrlimit
        env={**os.environ, "CHIHWATCH_HOME": str(tmp_path / "home")},
    )
    figures["silent_ok_runs"] = int(out.returncode == 0)
    lines = [ln for ln in out.stderr.splitlines() if ln.startswith("chihwatch:")]
    assert out.returncode == 5, (out.returncode, out.stderr)
    assert len(lines) == 1 and "could not reach" not in out.stderr, out.stderr
    assert "store operation(s) failed" in lines[0], lines
    assert "disk is full" in lines[0] or "disk I/O error" in lines[0], lines


@pytest.mark.slow
def test_unwritable_http_cache_is_a_local_disk_failure_and_pages_are_still_stored(
    site: MirrorServer, store_url: str, tmp_path: Path, figures: dict[str, int]
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory should be")
    site.set_state("state2")
    msg = expect_failure(
        OutputError,
        r"local disk: the HTTP cache .*not-a-directory",
        store_url,
        site,
        figures,
        HTTPCACHE_DIR=str(blocker / "httpcache"),
    )
    assert "could not reach" not in msg
    # The list pages were still read and the new installment stored.
    after = snapshot(store_url)
    assert any((i["year"], i["number"]) == (2025, 4) for i in after.installments)


@pytest.mark.slow
def test_postgres_gone_mid_crawl_is_a_failed_crawl(
    site: MirrorServer, plan: FaultPlan, pg_url: str, figures: dict[str, int]
) -> None:
    run(pg_url, site)  # a healthy first crawl into a fresh PostgreSQL database
    site.set_state("state2")
    site.clear_log()
    # Slow articles, so the crawl is mid-way when the server goes; then no connection at all
    # (as while PostgreSQL restarts): every store write from there on fails.
    plan.add("slow_articles", delayed(0.3, plan.stop), lambda p: "/20" in p and p.endswith(".html"))
    name = pg_url.rsplit("/", 1)[1]
    admin = create_engine(os.environ["CHIHWATCH_TEST_PG"], isolation_level="AUTOCOMMIT")

    def cut() -> None:
        deadline = time.monotonic() + 30
        while len(article_requests(site)) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        with admin.connect() as c:
            c.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            c.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )

    import threading

    cutter = threading.Thread(target=cut)
    cutter.start()
    try:
        expect_failure(DatabaseError, r"store operation\(s\) failed", pg_url, site, figures)
    finally:
        cutter.join()
        with admin.connect() as c:
            c.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()
    plan.clear()
    # Back up: the next crawl stores what the failed one could not.
    summary = run(pg_url, site)
    assert summary.new_installments == 1 and summary.new_revisions == 1, summary


# -- Scrapy that never started ------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "settings",
    [{"DOWNLOAD_DELAY": "abc"}, {"DOWNLOADER_MIDDLEWARES": {"no.such.Middleware": 1}}],
    ids=["bad-float", "bad-middleware"],
)
def test_bad_setting_that_stops_scrapy_is_a_config_error(
    settings: dict[str, Any], site: MirrorServer, store_url: str, figures: dict[str, int]
) -> None:
    msg = expect_failure(
        ConfigError, r"crawl stopped before sending a request", store_url, site, figures, **settings
    )
    assert "abc" in msg or "no" in msg
    assert site.request_log == []


@pytest.mark.slow
def test_daemon_records_a_crawl_that_read_nothing_as_failed(
    site: MirrorServer, plan: FaultPlan, store_url: str, tmp_path: Path, figures: dict[str, int]
) -> None:
    on_robots(plan, "robots_all", robots("User-agent: *\nDisallow: /\n"))
    settings = "\n".join(f"{k} = {json.dumps(v)}" for k, v in FAST.items())
    cfg = tmp_path / "daemon.toml"
    cfg.write_text(
        f'start_urls = {json.dumps(start_urls(site))}\n\n[crawl]\ninterval = "1h"\ntimeout = "60s"\n'
        f'\n[crawl.settings]\n{settings}\n\n[report]\ncron = "0 9 * * mon"\ndir = "{tmp_path / "reports"}"\n',
        encoding="utf-8",
    )
    log = tmp_path / "daemon.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "chihwatch", "--db", store_url, "daemon", "--config", str(cfg)],
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while (
                "crawl #" not in log.read_text("utf-8", "replace") and time.monotonic() < deadline
            ):
                time.sleep(0.2)
        finally:
            proc.terminate()
            proc.wait(15)
    out = log.read_text("utf-8", "replace")
    assert "crawl #1 failed" in out and "robots.txt forbids the start pages" in out, out
    engine = create_engine(store_url)
    with engine.connect() as c:
        rows = c.execute(
            text("SELECT status, error, figures FROM scheduler_runs WHERE job = 'crawl'")
        ).all()
    engine.dispose()
    assert rows and rows[0][0] == "failed" and "robots.txt forbids" in rows[0][1], rows
    # What the failed crawl did is kept with it: robots.txt only, no list page.
    done = json.loads(rows[0][2])
    assert (done["requests"], done["list_pages"], done["fetched"]) == (1, 0, 0), done
    figures["silent_ok_runs"] = int(any(r[0] == "ok" for r in rows))
    from storage import open_store

    store = open_store(store_url)
    try:
        from datetime import UTC, datetime, timedelta

        now = datetime.now(UTC)
        problems = store.report_data(now - timedelta(days=1), now + timedelta(hours=1))[
            "crawl_problems"
        ]
    finally:
        store.close()
    assert [p["status"] for p in problems] == ["failed"] and "robots.txt" in problems[0]["error"]


# -- what the site sees ---------------------------------------------------------------------------


@pytest.mark.slow
def test_user_agent_is_printable_ascii(site: MirrorServer, store_url: str) -> None:
    run(store_url, site)
    agents = {r.headers.get("User-Agent", "") for r in site.request_log}
    assert len(agents) == 1
    (agent,) = agents
    # http.server decodes header bytes as Latin-1: UTF-8 bytes would show as mojibake here.
    assert agent.startswith("chihwatch/") and all(0x20 <= ord(c) < 0x7F for c in agent), agent


def test_non_ascii_user_agent_setting_is_refused(site: MirrorServer, store_url: str) -> None:
    with pytest.raises(ConfigError, match="USER_AGENT must be printable ASCII"):
        run(store_url, site, USER_AGENT="监测 bot")
    with pytest.raises(ConfigError, match="control character"):
        run(store_url, site, CHIHWATCH_CONTACT_URL="https://x.example/\r\nX-Evil: 1")
    assert site.request_log == []
