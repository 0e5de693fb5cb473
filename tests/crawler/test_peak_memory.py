"""A crawl's peak memory is its own, not that of the process it was started from."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux: VmHWM in /proc")
def test_a_child_started_by_a_large_parent_reports_its_own_peak() -> None:
    # The parent grows to ~200 MiB and starts a child the way crawler.run does (fork + exec); the
    # child's ru_maxrss keeps the parent's high-water mark, its VmHWM starts afresh.
    parent = (
        "import subprocess, sys\n"
        "big = bytearray(200 * 1024 * 1024)\n"
        "for i in range(0, len(big), 4096): big[i] = 1\n"
        "child = 'from crawler.run import _peak_rss_kb; import resource; '"
        " 'print(_peak_rss_kb(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)'\n"
        "print(subprocess.run([sys.executable, '-c', child], capture_output=True, text=True,"
        " check=True).stdout)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", parent], capture_output=True, text=True, check=True, cwd=ROOT
    )
    own, inherited = (int(x) for x in out.stdout.split())
    assert inherited > 200 * 1024  # what the summary used to report
    assert own < 100 * 1024  # a Python process with the crawler's run module: tens of MiB
