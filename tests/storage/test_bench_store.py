"""bench/store.py --quick runs end to end and prints its tables (no timing is asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_store_bench_quick_prints_every_row() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "store.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    # The weekly report row: the generated week has new and edited installments (the generator
    # used to leave confirmed_at unset, so the report had no new installment and the bench died
    # with an IndexError before printing anything).
    week = re.search(
        r"\| sqlite \| .* \| ([\d.]+)x \((\d+) new, (\d+) edited\) \| ([\d.]+)x \|", out
    )
    assert week and int(week.group(2)) > 0 and int(week.group(3)) > 0, out
    # The hostile rows: every edited paragraph is found as one changed paragraph.
    for n in (200, 600):
        row = re.search(
            rf"\| {n} \| \d+ ms \| ([\d.]+)x .*\| ([\d.]+)x .*\| {n} changed of {n} \|", out
        )
        assert row, out
