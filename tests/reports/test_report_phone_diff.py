"""Edits and cross-installment comparisons in real Chromium at a phone's width (issue 13).

Where styles are lost or struck text is hard to see (a phone's mail app, a narrow screen), an edited
figure must still read as one figure replaced by another: 增长10%→增长12%, never "增长1012%".
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import reports
from tests.reports.test_report_browser import ARTIFACTS, _open

pytestmark = pytest.mark.browser


def _report_html(sqlite_url: str) -> str:
    """The week of report_store_helpers.fill (④ edited by the site) plus a second store's week in
    which 2024④ is new and compared with 2023③ (洛阳高新区: two rewritten sentences, one not)."""
    import storage
    from tests.reports.report_store_helpers import PAGES, SINCE, UNTIL, expected, fill

    store = storage.open_store(sqlite_url)
    try:
        fill(store)
        edits = store.report_data(SINCE, UNTIL)
    finally:
        store.close()
    store = storage.open_store(sqlite_url.replace(".db", "-cmp.db"))
    try:
        for name, at in (
            ("chih2019-2023-03", SINCE - timedelta(days=365)),
            ("chih2019-2024-04", SINCE),
        ):
            store.record_response(
                expected(name)["url"],
                status=200,
                headers={"Content-Type": "text/html; charset=utf-8"},
                body=(PAGES / f"{name}.html").read_bytes(),
                fetched_at=at,
            )
        news = store.report_data(SINCE, UNTIL)
    finally:
        store.close()
    assert len(news["new_installments"]) == 1
    edits["new_installments"] = news["new_installments"]
    return reports.render(edits, "html")


def test_edit_and_comparison_read_right_on_a_phone(browser: Any, sqlite_url: str) -> None:  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "report-phone-diff.html"
    path.write_text(_report_html(sqlite_url), encoding="utf-8")

    context, phone, problems = _open(browser, path, 390, 844)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    # The site's edit of ④: the figure replaced whole, old → new, in the rendered text itself.
    edit = phone.locator("li.change", has_text="技术合同成交额突破80亿元")
    edit.screenshot(path=str(ARTIFACTS / "report-phone-edit.png"))
    text = edit.inner_text()
    assert "工业总产值增长10%→增长12%" in text
    assert "增长1012%" not in text and "增长10%增长12%" not in text
    # The new installment's zones against their earlier sections: no strike-through at all,
    # and on a phone the two sides stack (本次报道 below 上次报道), each labelled.
    luoyang = phone.locator("section.zone", has_text="洛阳高新区").first
    cmp = luoyang.locator(".cmp")
    cmp.screenshot(path=str(ARTIFACTS / "report-phone-compare.png"))
    assert phone.locator(".cmp del, .cmp ins").count() == 0
    assert cmp.locator(".cmp-row").evaluate_all("rs => rs.map(r => r.className)") == [
        "cmp-row similar",
        "cmp-row similar",
        "cmp-row sep",
    ]
    # The goals of 2023 and 2024 side by side, the differing figures marked, whole.
    assert cmp.locator(".cmp-row.similar").nth(1).locator("mark.now").all_inner_texts() == [
        "2024",
        "增长9%",
        "增长12%",
        "达到500家",
    ]
    row = cmp.locator(".cmp-row.sep")
    was, now = row.locator(".was").bounding_box(), row.locator(".now").bounding_box()
    assert was and now and now["y"] >= was["y"] + was["height"] - 1
    assert row.locator(".was .tag").inner_text() == "上次报道"
    assert row.locator(".now .tag").is_visible()
    context.close()

    # On a desktop the same row is two columns side by side, under a column header.
    context, desk, desk_problems = _open(browser, path, 1100, 900)
    row = desk.locator("section.zone", has_text="洛阳高新区").first.locator(".cmp-row.sep")
    was, now = row.locator(".was").bounding_box(), row.locator(".now").bounding_box()
    assert was and now and abs(now["y"] - was["y"]) < 2 and now["x"] > was["x"] + was["width"] - 1
    assert not row.locator(".was .tag").is_visible()
    assert desk.locator(".cmp-cols").first.inner_text().startswith("上次报道")
    context.close()
    assert problems == [] and desk_problems == []


def test_struck_digit_beside_a_new_one_would_fail_this_check(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    """The check is not vacuous: the old digit-level markup reads as one number on the page."""
    path = tmp_path / "old.html"
    path.write_text(
        '<!DOCTYPE html><meta charset="utf-8"><ul><li class="change">工业总产值增长'
        "<del>10</del><ins>12</ins>%</li></ul>",
        encoding="utf-8",
    )
    context, page, _ = _open(browser, path, 390, 844)
    assert "增长1012%" in page.locator("li.change").inner_text()
    context.close()


def test_diff_page_on_a_phone(browser: Any, sqlite_url: str) -> None:  # noqa: F811
    """`chihwatch diff --format html` of ④ (edited by the site): the report's look, phone-wide."""
    import storage
    from reports.diff_page import render_diff_page
    from tests.reports.report_store_helpers import fill

    store = storage.open_store(sqlite_url)
    try:
        fill(store)
        data = store.diff("2024-4")
    finally:
        store.close()
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "diff-phone.html"
    path.write_text(render_diff_page(data), encoding="utf-8")
    context, phone, problems = _open(browser, path, 390, 844)
    phone.screenshot(path=str(ARTIFACTS / "diff-phone.png"), full_page=True)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.locator("h2").all_inner_texts()[:2] == [
        "本次修改 Edits on the site",
        "与往期对照 Against earlier installments",
    ]
    edit = phone.locator("li.change.changed").first
    assert "工业总产值增长10%→增长12%" in edit.inner_text()
    assert "line-through" in edit.locator("del").evaluate(
        "e => getComputedStyle(e).textDecorationLine"
    )
    # The hostile paragraph the edit added is text.
    assert "<script>window.__pwned=1;alert(1)</script>" in phone.inner_text("body")
    assert phone.evaluate("typeof window.__pwned") == "undefined"
    context.close()
    assert problems == []
