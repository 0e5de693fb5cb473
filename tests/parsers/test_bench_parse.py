"""bench/parse.py runs (its --quick mode) and prints its table; times are reported, not asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from chihwatch.fixturecheck import fixture_names

ROOT = Path(__file__).resolve().parents[2]


def test_bench_parse_quick_runs_and_prints_its_table() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "parse.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    out = proc.stdout
    header = out.splitlines()[0].split()
    for col in ("fixture", "F1", "tagged", "zones", "meta", "trafil.", "gne", "ratio"):
        assert col in header
    for name in fixture_names(ROOT / "fixtures" / "pages"):
        assert f"\n{name} " in out
    assert "mean body F1 over" in out and "trafilatura" in out and "target <= 3x" in out
    assert "gate: ok" in out
