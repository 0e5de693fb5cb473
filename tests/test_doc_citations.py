"""Project files cite only documents the repository holds: the design notes and the site notes
that once sat beside it are not in it (their facts are in docs/site.md and docs/CONTRACTS.md)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Spelled in two halves so that this file does not cite them itself.
GONE = ("DESIGN" + ".md", "SITE" + ".md")


def test_no_project_file_cites_a_document_outside_the_repository() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    assert len(tracked) > 100, "git ls-files listed the repository"
    cited = []
    for name in tracked:
        path = ROOT / name.decode()
        if (
            not name
            or not path.is_file()
            or path.suffix not in {".py", ".md", ".toml", ".html", ".j2", ".txt", ".cfg"}
        ):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        cited += [f"{name.decode()}: {doc}" for doc in GONE if doc in text]
    assert cited == []
