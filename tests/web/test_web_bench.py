"""bench/web.py --quick runs end to end: every route answered, ratios and RSS printed (no timing asserts)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_bench_web_quick() -> None:
    p = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "web.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    out = p.stdout
    assert "500 installments x 5 revisions" in out
    for route in (
        "/installments/{ref}/diff",
        "/zones/{name}",
        "/indicators/{indicator}",
        "/search?q= (FTS5)",
        "/search?q= (2 chars)",
        "/feed.atom",
    ):
        line = next(ln for ln in out.splitlines() if ln.startswith(route + " "))
        assert re.search(r"\d+\.\d+x$", line), line
    rss = re.findall(r"^\s+(\d+)\s+(\d+\.\d)$", out, re.M)
    assert [int(k) for k, _ in rss] == [100, 500, 1000]
    assert "RSS growth after the first 100 requests" in out
