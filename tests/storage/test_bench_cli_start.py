"""bench/cli_start.py runs in --quick mode and prints its table (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_cli_start_bench_quick() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "cli_start.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    rows = {line.split("  ")[0].strip(): line for line in lines[2:-1]}
    assert set(rows) >= {'python -c "import sqlalchemy"', "chihwatch list", "chihwatch list --json"}
    for name in ("chihwatch list", "chihwatch list --json", "chihwatch show 2024-1 --json"):
        assert rows[name].endswith("no"), rows[name]  # read commands never import Alembic
    assert lines[-1].startswith("goal: chihwatch list <= 2.0x import sqlalchemy:")
