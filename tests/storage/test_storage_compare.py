"""A zone's section against another installment's: aligned only where really similar (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

from storage.compare import compare_sections

PAGES = Path(__file__).resolve().parents[2] / "fixtures" / "pages"


def section(fixture: str, zone: str) -> list[str]:
    """A zone's paragraphs from a fixture's hand-checked expected parse."""
    data = json.loads((PAGES / f"{fixture}.json").read_text("utf-8"))
    return next(z["paragraphs"] for z in data["zones"] if z["name"] == zone)


def test_luoyang_2023_against_2024_aligns_the_rewritten_sentences_only() -> None:
    before = section("chih2019-2023-03", "洛阳高新区")
    after = section("chih2019-2024-04", "洛阳高新区")
    got = compare_sections("洛阳高新区", before, after)
    rows = got["comparison"]
    assert [r["kind"] for r in rows] == ["similar", "similar", "apart"]
    # The meeting notice and the goals are the same sentences with 2024's dates and figures.
    assert rows[0]["inline"] == [
        ["-", "2月1"],
        ["+", "1月30"],
        ["=", "日，洛阳高新区召开"],
        ["-", "2023"],
        ["+", "2024"],
        ["=", "年工作会议。"],
    ]
    assert rows[1]["inline"] == [
        ["=", "会议提出，"],
        ["-", "2023"],
        ["+", "2024"],
        ["=", "年洛阳高新区力争规模以上工业增加值"],
        ["-", "增长8%"],
        ["+", "增长9%"],
        ["=", "，固定资产投资"],
        ["-", "增长10%"],
        ["+", "增长12%"],
        ["=", "，高新技术企业总数"],
        ["-", "达到420家"],
        ["+", "达到500家"],
        ["=", "。"],
    ]
    # 2023's talent sentence and 2024's industry sentence are different texts: side by side,
    # neither "deleted" nor "added", and no character diff of one against the other.
    assert rows[2] == {"kind": "apart", "before": [before[2]], "after": [after[2]]}
    assert [c["kind"] for c in got["changes"]] == ["changed", "changed"]
    assert [(c["before"], c["after"]) for c in got["changes"]] == [
        (before[0], after[0]),
        (before[1], after[1]),
    ]


def test_hefei_2024_against_2025_keeps_unrelated_paragraphs_apart() -> None:
    before = section("chih2019-2024-01", "合肥高新区")
    after = section("chih2025-2025-01", "合肥高新区")
    rows = compare_sections("合肥高新区", before, after)["comparison"]
    # 2025 opens with a notice merged with a slogan (0.38 similar to 2024's notice): apart; the
    # goal lists are the same sentence (0.70); the rest is new writing: 1 paragraph against 3.
    assert [(r["kind"], len(r["before"]), len(r["after"])) for r in rows] == [
        ("apart", 1, 1),
        ("similar", 1, 1),
        ("apart", 1, 3),
    ]
    assert rows[2]["after"] == after[2:]
    # Every paragraph of both sections is in the comparison, in order.
    assert [p for r in rows for p in r["before"]] == before
    assert [p for r in rows for p in r["after"]] == after


def test_identical_paragraphs_are_one_same_row() -> None:
    rows = compare_sections("z", ["甲。", "乙。", "丙。"], ["甲。", "乙。", "丁丁丁。"])[
        "comparison"
    ]
    assert rows == [
        {"kind": "same", "before": ["甲。", "乙。"], "after": ["甲。", "乙。"]},
        {"kind": "apart", "before": ["丙。"], "after": ["丁丁丁。"]},
    ]
