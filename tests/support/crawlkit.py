"""The mirror and crawl helpers of the tests: where each installment is, one real crawl of the mirror.

Shared by tests/crawler/ and tests/faults/ (and what a bench needs of them): the bundled mirror site
(fixtures/site/), its layout.json, the settings of a crawl against 127.0.0.1, and the fault figures
bench/faults.py collects.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chihwatch.demo.mirror import MirrorServer

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "fixtures" / "site"

# The revisit policy off: every known page asked again on every crawl (see local_settings).
EVERY_PAGE: dict[str, Any] = {"CHIHWATCH_REVISIT_AFTER": 0}
# Politeness off, short timeouts and retries: a fault costs a second, not a minute (tests/faults/).
FAST: dict[str, Any] = {
    "DOWNLOAD_DELAY": 0,
    "RANDOMIZE_DOWNLOAD_DELAY": False,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "CHIHWATCH_RETRY_BACKOFF": 0.05,
    "CHIHWATCH_PROGRESS_EVERY": 0,
    "DOWNLOAD_TIMEOUT": 2,
    "RETRY_TIMES": 1,
    **EVERY_PAGE,
}
CRAWL_TIMEOUT = 90.0

# Where each installment is in each state of the mirror, what state2 edits (built by fixtures/site/build.py).
LAYOUT: dict[str, Any] = json.loads((SITE / "layout.json").read_text("utf-8"))


def path_of(key: str, state: str = "state1") -> str:
    """The mirror path of installment `key` ("2024-2") in `state`."""
    return LAYOUT["states"][state]["installments"][key]


def start_urls(server: MirrorServer) -> list[str]:
    return [server.url + p for p in LAYOUT["start_paths"]]


def local_settings(**extra: Any) -> dict[str, Any]:
    """Politeness delays off (local server only); robots.txt, scope and conditional GETs stay on.

    Every known page is asked again on every crawl (EVERY_PAGE: the revisit policy off): these
    tests change the mirror between crawls seconds apart and check what a re-check finds. The
    policy itself is tested in tests/crawler/test_revisit.py with the product's defaults.
    """
    from crawler.settings import POLITE_OFF

    return {**POLITE_OFF, "DOWNLOAD_TIMEOUT": 5, **EVERY_PAGE, **extra}


def crawl(
    db_url: str,
    server: MirrorServer,
    urls: list[str] | None = None,
    *,
    base: dict[str, Any] | None = None,
    timeout: float = 120.0,
    **settings: Any,
) -> Any:
    """One real Scrapy crawl of the mirror in a child process; `settings` go over `base`
    (local_settings() unless given: politeness off, as the crawler tests run)."""
    from crawler.run import crawl_in_subprocess

    merged = {**(local_settings() if base is None else base), **settings}
    return crawl_in_subprocess(db_url, urls or start_urls(server), timeout=timeout, settings=merged)


def crawl_fast(db_url: str, server: MirrorServer) -> Any:
    """The fault tests' crawl: FAST settings (short timeouts, one retry) within CRAWL_TIMEOUT."""
    return crawl(db_url, server, base=FAST, timeout=CRAWL_TIMEOUT)


def now() -> datetime:
    return datetime.now(UTC)


def copy_sqlite(src_url: str, dst: Path) -> str:
    """Copy a SQLite store (checkpointed first, so the copy is one file)."""
    src = Path(src_url.removeprefix("sqlite:///"))
    con = sqlite3.connect(src)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    shutil.copyfile(src, dst)
    return f"sqlite:///{dst}"


def record_figures(**counts: int) -> None:
    """Add to the figures of this run (bench/faults.py sets CHIHWATCH_FAULT_FIGURES to collect them)."""
    path = os.environ.get("CHIHWATCH_FAULT_FIGURES")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(counts) + "\n")


def requested_paths(server: MirrorServer, since: int = 0) -> list[str]:
    return [r.path for r in server.log_since(since)]


def hosts_contacted(server: MirrorServer, since: int = 0) -> set[str]:
    return {r.host for r in server.log_since(since)}
