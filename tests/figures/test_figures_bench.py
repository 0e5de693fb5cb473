"""bench/figures.py --quick runs and prints its two tables (ratios, never timed asserts)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_quick() -> None:
    r = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "figures.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "extract/parse: median" in r.stdout
    for measure in ("targets_cold", "targets_warm", "csv_export", "report_week"):
        assert measure in r.stdout
