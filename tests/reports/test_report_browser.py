"""The HTML report in real headless Chromium: rendered text, highlights, hostile text inert."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import reports

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"


def _open(browser: Any, html_path: Path, width: int, height: int) -> tuple[Any, Any, list[str]]:
    """A page on the report that records console errors, page errors and dialogs as problems."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, java_script_enabled=True
    )
    # Fail on any request that would leave the file: the report must be self-contained.
    problems: list[str] = []
    context.route(
        lambda url: not url.startswith("file:"),
        lambda route: (problems.append(f"request {route.request.url}"), route.abort()),
    )
    page = context.new_page()
    page.on(
        "console",
        lambda m: (
            problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"pageerror {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog {d.type}: {d.message}"), d.dismiss()))
    page.goto(html_path.as_uri(), wait_until="load")
    return context, page, problems


def test_report_in_chromium(browser: Any, sample: dict[str, Any], tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    html_path = ARTIFACTS / "report-sample.html"
    html_path.write_text(reports.render(sample, "html"), encoding="utf-8")

    context, page, problems = _open(browser, html_path, 1100, 900)
    page.screenshot(path=str(ARTIFACTS / "report-desktop.png"), full_page=True)
    text = page.inner_text("body")
    for zone in (
        "威海高新区",
        "天津高新区",
        "兰州高新区",
        "昆明高新区",
        "玉溪高新区",
        "苏州工业园区",
    ):
        assert zone in text
    assert "国家高新区密集部署 2024年这样干!⑤" in text
    # Highlights are real <del>/<ins> elements, styled so they stand out.
    dels = page.locator("li.change del").all_inner_texts()
    inss = page.locator("li.change ins").all_inner_texts()
    assert ["3", "10", "12"] == dels[dels.index("3") : dels.index("3") + 3]
    assert "，一般公共预算收入增长3.5%" in inss
    ins_style = page.eval_on_selector(
        "li.change ins",
        "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).fontWeight]",
    )
    del_style = page.eval_on_selector(
        "li.change del", "e => getComputedStyle(e).textDecorationLine"
    )
    assert ins_style[0] not in ("rgba(0, 0, 0, 0)", "transparent") and int(ins_style[1]) >= 600
    assert "line-through" in del_style
    # Hostile page text is shown as text and ran nothing.
    assert "<script>alert(1)</script>" in text
    assert "<img src=x onerror=alert(1)>" in text
    assert 'onerror="window.__pwned=1"' in text
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("document.querySelectorAll('script, img, iframe').length") == 0
    # The chart is drawn: 13 bars, 2 of them for this period.
    assert page.locator("svg.chart rect.bar").count() == 13
    assert page.locator("svg.chart rect.bar.new").count() == 2
    box = page.locator("svg.chart").bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    # Chinese text is drawn with a real CJK font, not tofu: without one, 高 and 中 are the same box.
    differ = page.evaluate(
        """() => { const family = getComputedStyle(document.body).fontFamily;
        const draw = ch => { const c = document.createElement('canvas'); c.width = c.height = 40;
          const g = c.getContext('2d'); g.font = '32px ' + family; g.fillText(ch, 2, 32);
          return Array.from(g.getImageData(0, 0, 40, 40).data).join(','); };
        return draw('高') !== draw('中'); }"""
    )
    assert differ, "no CJK font: install fonts-wqy-microhei (or any font of the stack)"
    # Printable: Chromium prints it to PDF.
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4")
    (ARTIFACTS / "report-print.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 2
    context.close()

    # On a phone: nothing wider than the screen, text still readable.
    context, phone, phone_problems = _open(browser, html_path, 390, 844)
    phone.screenshot(path=str(ARTIFACTS / "report-phone.png"), full_page=False)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    size = phone.eval_on_selector("p.para", "e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 14
    context.close()

    assert problems == [] and phone_problems == []


def test_browser_test_catches_a_live_payload(browser: Any, tmp_path: Path) -> None:
    """The checks above are not vacuous: an unescaped payload trips them."""
    path = tmp_path / "bad.html"
    path.write_text(
        "<!DOCTYPE html><html><body><p>x</p><script>window.__pwned=1; alert(1)</script></body></html>",
        encoding="utf-8",
    )
    context, page, problems = _open(browser, path, 800, 600)
    assert page.evaluate("window.__pwned") == 1
    assert problems == ["dialog alert: 1"]
    context.close()


def test_real_store_report_in_chromium(browser: Any, sqlite_url: str) -> None:
    """The report of a store filled from fixture pages, including a page with hostile text."""
    import storage
    from tests.reports.report_store_helpers import SINCE, UNTIL, fill

    store = storage.open_store(sqlite_url)
    try:
        fill(store)
        data = store.report_data(SINCE, UNTIL)
    finally:
        store.close()
    ARTIFACTS.mkdir(exist_ok=True)
    html_path = ARTIFACTS / "report-store.html"
    html_path.write_text(reports.render(data, "html"), encoding="utf-8")
    context, page, problems = _open(browser, html_path, 1100, 900)
    page.screenshot(path=str(ARTIFACTS / "report-store.png"), full_page=True)
    text = page.inner_text("body")
    for zone in ("威海高新区", "兰州高新区", "玉溪高新区", "青岛高新区"):
        assert zone in text
    assert "<script>window.__pwned=1;alert(1)</script>" in text
    assert page.evaluate("typeof window.__pwned") == "undefined"
    edit = page.locator("li.change", has_text="技术合同成交额突破80亿元")
    # The edited figure is replaced whole and reads "old → new" (issue 13).
    assert edit.locator("del").all_inner_texts() == ["增长10%"]
    assert edit.locator("ins").all_inner_texts() == ["增长12%"]
    assert "增长10%→增长12%" in edit.inner_text()
    context.close()
    assert problems == []
