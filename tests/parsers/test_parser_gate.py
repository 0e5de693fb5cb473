"""The regression gate: every fixture's scores are pinned (fixtures/scores.json), never lowered."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from chihwatch.cli import main
from chihwatch.cli.fixturecheck import (
    baseline_path,
    check_all,
    fixture_names,
    gate,
    load_baseline,
    pin_scores,
)

PAGES = Path(__file__).resolve().parents[2] / "fixtures" / "pages"


def test_every_fixture_is_pinned_and_none_scores_below_its_pin() -> None:
    baseline = load_baseline(baseline_path(PAGES))
    assert set(baseline) == set(fixture_names(PAGES)), "pin new fixtures, drop removed ones"
    assert gate(PAGES, check_all(PAGES), baseline) == []


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Two fixtures copied with their pins, in a directory of their own."""
    pages = tmp_path / "pages"
    pages.mkdir()
    for name in ("chih2025-2025-01", "repost-sohu-2025-05"):
        for suffix in (".html", ".json"):
            shutil.copy(PAGES / f"{name}{suffix}", pages / f"{name}{suffix}")
    assert pin_scores(pages, check_all(pages)) == []
    return pages


def _lower_pin_bar(pages: Path, name: str) -> None:
    """Make the parse score a little below its pin while still above the floors, as a parser
    change would: the expected intro gains a character the parser never gives (F1 < 1.0), and the
    pin (F1 1.0) is re-hashed as if it had been pinned for these very files."""
    from chihwatch.cli.fixturecheck import fixture_hash

    jpath = pages / f"{name}.json"
    expected = json.loads(jpath.read_text(encoding="utf-8"))
    expected["intro"][0] += "某"
    jpath.write_text(json.dumps(expected, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    path = baseline_path(pages)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["fixtures"][name]["hash"] = fixture_hash(pages, name)
    assert data["fixtures"][name]["f1"] == 1.0
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_a_score_below_its_pin_fails_the_gate_and_cannot_be_pinned(corpus: Path) -> None:
    name = "repost-sohu-2025-05"
    _lower_pin_bar(corpus, name)
    results = check_all(corpus)
    problems = gate(corpus, results, load_baseline(baseline_path(corpus)))
    assert all(r.ok for r in results)  # above every floor: only the pin sees the drop
    assert len(problems) == 1 and problems[0].startswith(f"{name}: f1 0.99"), problems
    before = baseline_path(corpus).read_text(encoding="utf-8")
    assert pin_scores(corpus, results) != []  # refused: the fixture's score would go down
    assert baseline_path(corpus).read_text(encoding="utf-8") == before


def test_an_unpinned_or_changed_fixture_fails_the_gate(corpus: Path) -> None:
    for suffix in (".html", ".json"):
        shutil.copy(PAGES / f"epaper-2025-lead{suffix}", corpus / f"epaper-2025-lead{suffix}")
    problems = gate(corpus, check_all(corpus), load_baseline(baseline_path(corpus)))
    assert problems == [
        "epaper-2025-lead: no pinned score (review it, then `fixtures check --pin`)"
    ]
    path = corpus / "chih2025-2025-01.json"
    path.write_text(path.read_text(encoding="utf-8") + " ", encoding="utf-8")
    problems = gate(corpus, check_all(corpus), load_baseline(baseline_path(corpus)))
    assert any("chih2025-2025-01: files changed" in p for p in problems)


def _exit_code(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_fixtures_check_exits_1_below_a_pin(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _exit_code(["fixtures", "check", "--dir", str(corpus)]) == 0
    _lower_pin_bar(corpus, "repost-sohu-2025-05")
    assert _exit_code(["fixtures", "check", "--dir", str(corpus)]) == 1
    assert "below their pinned scores" in capsys.readouterr().err
    assert _exit_code(["fixtures", "check", "--dir", str(corpus), "--pin"]) == 1
