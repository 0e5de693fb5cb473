"""storage/figure_changes.py on extracted figures: changes, plan vs last year's plan and result."""

from __future__ import annotations

from parsers.figures import extract_figures
from storage.figure_changes import compare_figures, plan_comparison

SRC_24 = {"year": 2024, "installment": 1, "url": "u24", "title": "t24"}
SRC_25 = {"year": 2025, "installment": 2, "url": "u25", "title": "t25"}
LAST = extract_figures(
    ["会议提出，2024年合肥高新区地区生产总值增长8.5%，高新技术企业数量突破3000家。"], year=2024
)
THIS = extract_figures(
    [
        "2024年全年地区生产总值突破3200亿元，同比增长7.1%。",
        "主要预期目标为：地区生产总值增长6.5%左右，高新技术企业数量突破2800家。",
    ],
    year=2025,
)


def test_changes_compare_plans_with_plans_only() -> None:
    got = compare_figures(LAST, THIS, SRC_24, SRC_25, "合肥高新区")
    assert [(c["indicator"], c["before"], c["after"], c["kind"], c["direction"]) for c in got] == [
        ("地区生产总值", "增长8.5%", "增长6.5%左右", "target", "down"),
        ("高新技术企业数量", "突破3000家", "突破2800家", "target", "down"),
    ]  # the 2024 result (增长7.1%, actual) is never a "change" of the 2024 plan
    assert got[0]["before_source"] == SRC_24 and got[0]["after_source"] == SRC_25


def test_plan_beside_last_years_plan_and_result() -> None:
    got = plan_comparison(THIS, 2025, LAST, SRC_24, SRC_25)
    gdp = next(r for r in got if r["indicator"] == "地区生产总值")
    assert (gdp["this_plan"], gdp["last_plan"], gdp["last_result"]) == (
        "增长6.5%左右",
        "增长8.5%",
        "同比增长7.1%",  # as written
    )
    assert gdp["last_plan_source"] == SRC_24 and gdp["last_result_source"] == SRC_25
    assert (gdp["vs_plan"], gdp["vs_result"]) == ("down", "down")
    firms = next(r for r in got if r["indicator"] == "高新技术企业数量")
    assert (firms["last_plan"], firms["last_result"]) == ("突破3000家", None)


def test_unchanged_figures_are_not_changes() -> None:
    assert compare_figures(LAST, LAST, SRC_24, SRC_24) == []
