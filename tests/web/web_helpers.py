"""A real store for the workbench tests, filled from the saved fixture pages through the real parser.

Timeline (UTC): the 2023/2024 installments ①–④ arrive on 2024-02-03; ⑤ on 2024-02-06; ④ is
edited on 2024-02-07 (one target changed, a hostile paragraph added, a live <script> in the raw
page); ③ answers 404 on 2024-02-08; 2025 ① arrives on 2025-01-20.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

PAGES = Path(__file__).resolve().parents[2] / "fixtures" / "pages"
BEIJING = timezone(timedelta(hours=8))
T0 = datetime(2024, 2, 3, 12, 0)  # naive UTC, as the store keeps time
BEFORE = [
    "chih2019-2023-03",
    "chih2019-2024-01",
    "chih2019-2024-02",
    "chih2019-2024-03",
    "chih2019-2024-04",
]
NEW = "chih2019-2024-05-utf8"
LATER = "chih2025-2025-01"
# Text of a paragraph once parsed: markup as characters, which every page must show, never run.
HOSTILE = '<script>window.__pwned=1;alert(1)</script><img src=x onerror="window.__pwned=2">'
HOSTILE_HTML = (
    "&lt;script&gt;window.__pwned=1;alert(1)&lt;/script&gt;"
    "&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;"
)
# A live script in the stored raw page: the sandboxed archive frame must never run it.
RAW_SCRIPT = "<script>window.top.__pwned=3;alert(3)</script>"


def expected(name: str) -> dict[str, Any]:
    return json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))


def edited_04() -> bytes:
    """Installment ④ as the site might edit it: 工业总产值 10% -> 12%, a hostile paragraph added."""
    html = (PAGES / "chih2019-2024-04.html").read_text(encoding="utf-8")
    old = "工业总产值增长10%"
    first = "1月31日，青岛高新区召开2024年工作会议。"
    assert html.count(old) == 1 and html.count(first) == 1, "fixture ④ changed: update this test"
    html = html.replace(old, "工业总产值增长12%")
    html = html.replace(first, f"{first}</p><p>{HOSTILE_HTML}")
    html = html.replace("</body>", f"{RAW_SCRIPT}</body>", 1)
    return html.encode("utf-8")


def fill(store: Any) -> None:
    html = {"Content-Type": "text/html; charset=utf-8"}
    for k, name in enumerate(BEFORE):
        store.record_response(
            expected(name)["url"],
            status=200,
            headers=html,
            body=(PAGES / f"{name}.html").read_bytes(),
            fetched_at=T0 + timedelta(minutes=k),
        )
    r = store.record_response(
        expected(NEW)["url"],
        status=200,
        headers=html,
        body=(PAGES / f"{NEW}.html").read_bytes(),
        fetched_at=T0 + timedelta(days=3),
    )
    assert r.installment_new
    r = store.record_response(
        expected("chih2019-2024-04")["url"],
        status=200,
        headers=html,
        body=edited_04(),
        fetched_at=T0 + timedelta(days=4),
    )
    assert r.revision_new and not r.installment_new
    store.record_response(
        expected("chih2019-2024-03")["url"],
        status=404,
        headers={},
        body=b"",
        fetched_at=T0 + timedelta(days=5),
    )
    r = store.record_response(
        expected(LATER)["url"],
        status=200,
        headers=html,
        body=(PAGES / f"{LATER}.html").read_bytes(),
        fetched_at=datetime(2025, 1, 20, 3, 0),
    )
    assert r.installment_new
