"""The pages an analyst reads, in real headless Chromium over a real uvicorn on 127.0.0.1.

Screenshots go to artifacts/web-*.png. Every page must load with no console error, no request
that leaves the app, no dialog, and the hostile text stored in installment ④ must stay text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"


def _open(browser: Any, base: str, width: int = 1200) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": width, "height": 900})
    problems: list[str] = []
    context.route(
        lambda url: not url.startswith(base),
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
    page.on("dialog", lambda d: (problems.append(f"dialog {d.message}"), d.dismiss()))
    return context, page, problems


def _visit(page: Any, url: str, shot: str, problems: list[str]) -> str:
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, url
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"web-{shot}.png"), full_page=True)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert problems == [], problems
    return page.inner_text("body")


# The browser half runs on SQLite; the HTTP tests cover both backends.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_reading_pages_in_chromium(browser: Any, live: Any) -> None:
    context, page, problems = _open(browser, live.url)
    try:
        text = _visit(page, f"{live.url}/zones/威海高新区", "zone-dossier", problems)
        for label in ("2023年③", "2024年②", "2024年⑤", "2025年①", "历年数字"):
            assert label in text
        # The chart is drawn: target points (hollow) have a real size on screen.
        box = page.locator("svg.chart.fig circle.pt.target").first.bounding_box()
        assert box is not None and box["width"] > 4
        assert page.locator("svg.chart.fig").count() >= 2

        text = _visit(page, f"{live.url}/indicators/地区生产总值", "indicator-matrix", problems)
        row = page.locator("table.matrix tr", has_text="合肥高新区").inner_text()
        assert "增长8.5%" in row and "增长6.5%左右" in row and "增长9%" in row
        assert page.locator("table.matrix thead th").all_inner_texts()[1:] == [
            "2023年",
            "2024年",
            "2025年",
        ]

        text = _visit(page, f"{live.url}/search?q=低空经济", "search", problems)
        assert page.locator("li.hit mark").first.inner_text() == "低空经济"
        assert "首次出现" in text and "合肥高新区" in text
        # The form works: type a phrase, press Enter, land on its results (no script needed).
        page.fill("form.bigsearch input[name=q]", "玉溪")
        page.press("form.bigsearch input[name=q]", "Enter")
        page.wait_for_url("**/search?q=*")
        assert page.locator("li.hit").count() == 1 and "玉溪高新区" in page.inner_text("ol.hits")
        assert problems == []

        text = _visit(page, f"{live.url}/installments/2024-4/diff", "diff-inline", problems)
        assert page.locator("li.change.changed ins").inner_text() == "增长12%"
        assert page.locator("li.change.changed del").inner_text() == "增长10%"
        assert "<script>window.__pwned=1;alert(1)</script>" in text  # shown, not run
        assert page.locator("table.figchanges del").inner_text() == "增长10%"
        assert page.locator("table.figchanges ins").inner_text() == "增长12%"
        _visit(page, f"{live.url}/installments/2024-4/diff?view=side", "diff-side", problems)
        assert page.locator("table.side td.after ins").count() >= 2

        text = _visit(page, f"{live.url}/installments/2024-4", "installment", problems)
        assert "<script>window.__pwned=1;alert(1)</script>" in text
        _visit(page, f"{live.url}/", "home", problems)
    finally:
        context.close()

    # Narrow screen: the dossier still reads without sideways scrolling of the page itself.
    context, page, problems = _open(browser, live.url, width=390)
    try:
        _visit(page, f"{live.url}/zones/威海高新区", "zone-dossier-mobile", problems)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1
    finally:
        context.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_raw_archive_never_runs_its_script(browser: Any, live: Any) -> None:
    """The stored bytes of ④ hold a live <script>: the sandbox CSP stops it (and every load)."""
    context, page, problems = _open(browser, live.url)
    try:
        response = page.goto(f"{live.url}/installments/2024-4/raw?rev=2", wait_until="load")
        assert response is not None and response.status == 200
        page.screenshot(path=str(ARTIFACTS / "web-raw-archive.png"), full_page=False)
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert not [p for p in problems if p.startswith(("dialog", "request"))], problems
        assert "青岛高新区" in page.inner_text("body")  # the page itself is readable
    finally:
        context.close()
