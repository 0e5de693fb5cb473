"""A stand-in for crawler.run.crawl_in_subprocess whose child process the tests control.

Loaded by the daemon through CHIHWATCH_DAEMON_CRAWL_IMPL=tests.scheduler.fakecrawl:crawl_in_subprocess. The child
sleeps FAKECRAWL_SLEEP seconds; its pid is appended to FAKECRAWL_PIDS so a test can kill it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from chihwatch.errors import ChihwatchError
from crawler.run import start_child


class Summary(dict):
    """Quacks like CrawlSummary."""

    def to_dict(self) -> dict[str, Any]:
        return dict(self)


def crawl_in_subprocess(
    db_url: str,
    start_urls: Sequence[str] | None = None,
    *,
    timeout: float | None = None,
    settings: Mapping[str, Any] | None = None,
) -> Summary:
    sleep = float(os.environ.get("FAKECRAWL_SLEEP", "0"))
    # Started as the real crawl starts its child: in a process group the daemon stops.
    child = start_child(
        [sys.executable, "-c", "import sys, time; time.sleep(float(sys.argv[1]))", str(sleep)]
    )
    pids = os.environ.get("FAKECRAWL_PIDS")
    if pids:
        with open(pids, "a") as f:
            f.write(f"{child.pid}\n")
    try:
        rc = child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        raise ChihwatchError(f"crawl timed out after {timeout:g}s") from None
    if rc != 0:
        raise ChihwatchError(f"crawl child exited with code {rc}")
    return Summary(
        fetched=1,
        not_modified=2,
        new_installments=0,
        new_revisions=0,
        suspects=0,
        errors=0,
        error_messages=[],
        seconds=sleep,
        requests=3,
    )
