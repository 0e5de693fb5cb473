"""The figures of issue 7, from a real run of the fault suite (tests/faults/).

Runs pytest on tests/faults/ with CHIHWATCH_FAULT_FIGURES pointing at a scratch file, where every
fault, crash, fuzz and bad-input test appends what it injected and measured, then prints the table
(Markdown) that docs/faults.md shows:

    python bench/faults.py            # the whole suite (a few minutes)
    python bench/faults.py -k crash   # any pytest selection
    python bench/faults.py --quick    # the bad-input tests only (what tests/test_benches.py runs)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ROWS = [
    (
        "faults_injected",
        "Site faults injected (one real crawl each; kinds in tests/support/faults.py)",
        None,
    ),
    ("fault_requests", "  requests answered by a fault (retries included)", None),
    ("faults_failed", "  faults not handled as specified (failing tests)", 0),
    ("crashes_injected", "Crashes injected (SIGKILL: crawl child, store writer, daemon)", None),
    ("inputs_fuzzed", "Inputs fuzzed (hypothesis: parser, normalisation, store sequences)", None),
    (
        "bad_inputs",
        "Bad inputs given to the real CLI (arguments, configs, databases, files, paths)",
        None,
    ),
    ("runs_survived", "Runs survived (crawls/writers that completed after a fault or crash)", None),
    (
        "outcome_cases",
        "Crawl-outcome cases (store, disk, robots.txt, settings, daemon; issue 10 §2)",
        None,
    ),
    ("silent_ok_runs", '  of them said "ok" (silent success)', 0),
    ("rows_lost_or_duplicated", "Rows lost or duplicated", 0),
    ("false_revisions", "False revisions", 0),
    ("real_changes_missed", "Real changes missed", 0),
]


def run(pytest_args: list[str]) -> tuple[Counter[str], dict[str, int], list[str], float]:
    """Run the suite; returns (summed figures, test outcome counts, failing test ids, seconds)."""
    with tempfile.TemporaryDirectory(prefix="chihwatch-faults-") as tmp:
        figures = Path(tmp) / "figures.jsonl"
        junit = Path(tmp) / "junit.xml"
        env = {**os.environ, "CHIHWATCH_FAULT_FIGURES": str(figures)}
        began = time.monotonic()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                str(ROOT / "tests" / "faults"),
                "-q",
                "-p",
                "no:cacheprovider",
                f"--junitxml={junit}",
                *pytest_args,
            ],
            cwd=ROOT,
            env=env,
            check=False,
        )
        seconds = time.monotonic() - began
        total: Counter[str] = Counter()
        if figures.exists():
            for line in figures.read_text("utf-8").splitlines():
                total.update(json.loads(line))
        outcomes = {"passed": 0, "failed": 0, "skipped": 0}
        failing: list[str] = []
        if junit.exists():
            for case in ET.parse(junit).getroot().iter("testcase"):
                name = f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name')}"
                if case.find("failure") is not None or case.find("error") is not None:
                    outcomes["failed"] += 1
                    failing.append(name)
                elif case.find("skipped") is not None:
                    outcomes["skipped"] += 1
                else:
                    outcomes["passed"] += 1
    return total, outcomes, failing, seconds


def table(total: Counter[str], outcomes: dict[str, int], failing: list[str], seconds: float) -> str:
    lines = ["| Figure | Value | Target |", "|---|---:|---:|"]
    for key, label, target in ROWS:
        lines.append(f"| {label} | {total.get(key, 0)} | {'' if target is None else target} |")
    lines.append(
        f"| Tests passed / failed / skipped | {outcomes['passed']} / {outcomes['failed']} / "
        f"{outcomes['skipped']} | all pass |"
    )
    lines.append(f"| Suite time | {seconds:.0f} s | a few minutes |")
    if failing:
        lines += ["", "Failing:", *[f"- `{f}`" for f in failing]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--quick", action="store_true", help="the bad-input tests only (tests/test_benches.py)"
    )
    args, pytest_args = ap.parse_known_args(argv)  # everything else goes to pytest (-k crash)
    if args.quick:
        pytest_args = [*pytest_args, "-k", "bad_input"]
    total, outcomes, failing, seconds = run(pytest_args)
    print()
    print(table(total, outcomes, failing, seconds))
    return 0 if not failing else 1


if __name__ == "__main__":
    raise SystemExit(main())
