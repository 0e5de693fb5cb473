"""`chihwatch demo` end to end, as a user runs it: a child process, a clean data directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_demo_crawls_the_three_states_and_writes_the_report(tmp_path: Path) -> None:
    env = {**os.environ, "CHIHWATCH_HOME": str(tmp_path / "home")}
    env.pop("CHIHWATCH_DB", None)
    report_dir = tmp_path / "report"
    proc = subprocess.run(
        [sys.executable, "-m", "chihwatch", "demo", "--report-dir", str(report_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    # State 1: the nine installments of the mirror's first state, 2023 （三） among them.
    assert "[1/3] state1" in out and "9 new installments:" in out and "+ 2023-3" in out
    # State 2: the new installment and the edit, shown as the changed characters.
    state2 = out[out.index("[2/3]") : out.index("[3/3]")]
    assert "+ 2025-4" in state2 and "edited: 2024-2" in state2
    assert "[-增长6%左右-]{+增长7%左右+}" in state2 and "+ 威海高新区: 会议还要求" in state2
    # State 3: the removed page and the moved installments with their history.
    state3 = out[out.index("[3/3]") :]
    assert "moved: 5 installments now at new URLs (history kept, no false revision)" in state3
    assert "unavailable:" in state3 and "answered HTTP 404" in state3
    assert "10 installments in the store:" in out
    # The report of everything the demo found.
    html = out.split("Report written:")[1].split()[0]
    assert Path(html).parent == report_dir.resolve() and Path(html).read_text("utf-8").startswith(
        "<!DOCTYPE"
    )
    [data_file] = report_dir.glob("*.json")
    data = json.loads(data_file.read_text("utf-8"))
    assert len(data["new_installments"]) == 10
    # The temporary database and cache are gone; nothing was written to the user's data directory.
    assert not any((tmp_path / "home").rglob("*.db"))
