"""A real store filled from the saved fixture pages, as the crawler would fill it over a week."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

PAGES = Path(__file__).resolve().parents[2] / "fixtures" / "pages"
BEIJING = timezone(timedelta(hours=8))
SINCE = datetime(2024, 2, 5, tzinfo=BEIJING)
UNTIL = datetime(2024, 2, 12, tzinfo=BEIJING)
BEFORE = [
    "chih2019-2023-03",
    "chih2019-2024-01",
    "chih2019-2024-02",
    "chih2019-2024-03",
    "chih2019-2024-04",
]
NEW = "chih2019-2024-05-utf8"
HOSTILE = "&lt;script&gt;window.__pwned=1;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"


def expected(name: str) -> dict[str, Any]:
    """The fixture's expected parse (checked by the parser's own fixture tests)."""
    return json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))


def edited_04() -> bytes:
    """Installment ④ as the site might edit it: one target changed, one paragraph added."""
    html = (PAGES / "chih2019-2024-04.html").read_text(encoding="utf-8")
    old = "工业总产值增长10%"
    first = "1月31日，青岛高新区召开2024年工作会议。"
    assert html.count(old) == 1 and html.count(first) == 1, "fixture ④ changed: update this test"
    html = html.replace(old, "工业总产值增长12%")
    html = html.replace(first, f"{first}</p><p>{HOSTILE}")
    return html.encode("utf-8")


def fill(store: Any) -> None:
    """Four installments known before the week; in it: ⑤ new, ④ edited, ③ 404 then gutted."""
    html = {"Content-Type": "text/html; charset=utf-8"}
    t0 = SINCE - timedelta(days=2)
    for name in BEFORE:
        store.record_response(
            expected(name)["url"],
            status=200,
            headers=html,
            body=(PAGES / f"{name}.html").read_bytes(),
            fetched_at=t0,
        )
    url3 = expected("chih2019-2024-03")["url"]
    r = store.record_response(
        expected(NEW)["url"],
        status=200,
        headers=html,
        body=(PAGES / f"{NEW}.html").read_bytes(),
        fetched_at=SINCE + timedelta(days=1),
    )
    assert r.installment_new
    r = store.record_response(
        expected("chih2019-2024-04")["url"],
        status=200,
        headers=html,
        body=edited_04(),
        fetched_at=SINCE + timedelta(days=2),
    )
    assert r.revision_new and not r.installment_new
    store.record_response(
        url3, status=404, headers={}, body=b"", fetched_at=SINCE + timedelta(days=3)
    )
    gutted = (
        b"<html><head><title>\xe5\x9b\xbd</title></head><body><div class='content'>"
        b"<p>\xe6\x9c\xac\xe6\x96\x87\xe5\xb7\xb2\xe5\x88\xa0\xe9\x99\xa4</p></div></body></html>"
    )
    store.record_response(
        url3, status=200, headers=html, body=gutted, fetched_at=SINCE + timedelta(days=4)
    )
