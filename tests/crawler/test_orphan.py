"""A crawl child whose parent was SIGKILLed stops by itself instead of crawling on unsupervised."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from chihwatch.demo.mirror import MirrorServer
from tests.support.crawlkit import ROOT, start_urls


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def test_crawl_child_stops_when_its_parent_is_killed(mirror: MirrorServer, tmp_path: Path) -> None:
    # A slow crawl (one request at a time, 4 s apart: ~60 s in all) so it is surely still running at the kill.
    parent_code = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from crawler.run import crawl_in_subprocess
        crawl_in_subprocess({f"sqlite:///{tmp_path / 'o.db'}"!r}, {start_urls(mirror)!r},
                            settings={{"DOWNLOAD_DELAY": 4, "AUTOTHROTTLE_ENABLED": False,
                                       "CONCURRENT_REQUESTS_PER_DOMAIN": 1}})
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code])
    child: list[int] = []
    deadline = time.monotonic() + 30
    while not child and time.monotonic() < deadline:
        time.sleep(0.2)
        child = _children(parent.pid)
    assert child, "the crawl child never started"
    time.sleep(2)  # let it crawl a little
    assert os.path.exists(f"/proc/{child[0]}")
    parent.send_signal(signal.SIGKILL)
    parent.wait()

    deadline = time.monotonic() + 15
    while os.path.exists(f"/proc/{child[0]}") and time.monotonic() < deadline:
        time.sleep(0.2)
    alive = os.path.exists(f"/proc/{child[0]}")
    if alive:
        os.kill(child[0], signal.SIGKILL)
    assert not alive, "the orphaned crawl child was still running 15 s after its parent died"
