"""Zone headings as printed: the real parser's `heading` reaches the store, `show` and `diff`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chihwatch.cli import main

PAGES = Path(__file__).resolve().parents[2] / "fixtures" / "pages"
NAME = "zonemedia-2025-09-fullname"


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    try:
        main(args)
    except SystemExit as exc:
        assert exc.code in (0, None), capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_parse_show_and_diff_agree_on_headings(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = json.loads((PAGES / f"{NAME}.json").read_text(encoding="utf-8"))
    want = [(z["name"], z["heading"]) for z in expected["zones"]]
    assert want[0] == ("东湖高新区", "武汉东湖新技术开发区")
    page = str(PAGES / f"{NAME}.html")
    parsed = _run(["parse", page, "--url", expected["url"], "--format", "json"], capsys)
    assert [(z["name"], z["heading"]) for z in parsed["zones"]] == want
    _run(["--db", db_url, "ingest", page, "--url", expected["url"], "--json"], capsys)
    shown = _run(["--db", db_url, "show", "2025-9", "--json"], capsys)
    assert [(z["name"], z["heading"]) for z in shown["zones"]] == want
    diff = _run(["--db", db_url, "diff", "2025-9", "--format", "json"], capsys)
    assert [(s["zone"], s["heading"]) for s in diff["sections"]] == want
