"""mypy over parsers/ and storage/, with the config in pyproject.toml's [tool.mypy].

Checked: every module of parsers/ and storage/ (storage/migrations too), with no module excepted.
NOT checked yet: crawler/, scheduler/, reports/, web/ and chihwatch/ (docs/architecture.md#types).
lxml has no type hints, so its elements are Any to mypy.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _mypy(*paths: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", *paths],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_parsers_and_storage_type_check() -> None:
    proc = _mypy("parsers", "storage")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # mypy checked the packages, not an empty selection.
    assert "Success: no issues found in" in proc.stdout, proc.stdout
    checked = int(proc.stdout.split("found in ")[1].split()[0])
    modules = [p for d in ("parsers", "storage") for p in (ROOT / d).rglob("*.py")]
    assert checked >= len(modules), proc.stdout
