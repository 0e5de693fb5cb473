"""Truncation: a page whose HTML stops before </body></html> is flagged, a complete page never is."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chihwatch.cli.fixturecheck import fixture_names
from chihwatch.errors import ParseError
from parsers import TRUNCATED_CONFIDENCE, Article, parse

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "fixtures" / "pages"
ARTICLES = [
    n for n in fixture_names(PAGES) if "error" not in json.loads((PAGES / f"{n}.json").read_text())
]
MIRROR = sorted((ROOT / "fixtures" / "site").rglob("*.html"))


def _truncated(article: Article) -> bool:
    """The warning says so in words; the typed field (what the store reads) must agree."""
    flagged = any("truncated" in w for w in article.warnings)
    assert article.truncated is flagged
    return flagged


def _cut_in_body(page: bytes, keep: float = 0.7) -> bytes:
    """The page up to the end of its long paragraph number `keep`·n (as chihwatch.faults cuts it)."""
    ends = [
        m.end()
        for m in re.finditer(rb"<p\b[^>]*>(.*?)</p>", page, re.IGNORECASE | re.DOTALL)
        if len(re.sub(rb"<[^>]+>", b"", m.group(1))) > 60
    ]
    assert ends, "a fixture article has long paragraphs"
    return page[: ends[max(0, int(len(ends) * keep) - 1)]]


@pytest.mark.parametrize("name", ARTICLES)
def test_complete_fixture_is_not_truncated(name: str) -> None:
    article = parse((PAGES / f"{name}.html").read_bytes())
    assert not _truncated(article) and article.confidence >= 0.5


def test_complete_mirror_pages_are_not_truncated() -> None:
    assert len(MIRROR) >= 20
    parsed = 0
    for path in MIRROR:
        try:
            article = parse(path.read_bytes())
        except ParseError:
            continue  # list pages
        parsed += 1
        assert not _truncated(article), path
    assert parsed >= 10


@pytest.mark.parametrize("name", ARTICLES)
@pytest.mark.parametrize("keep", [0.3, 0.7, 1.0])
def test_page_cut_inside_the_article_is_flagged(name: str, keep: float) -> None:
    page = (PAGES / f"{name}.html").read_bytes()
    whole = parse(page)
    cut = parse(_cut_in_body(page, keep))
    assert len(cut.body_text) <= len(whole.body_text)
    assert _truncated(cut)
    assert cut.confidence <= TRUNCATED_CONFIDENCE < 0.5


@pytest.mark.parametrize("name", ["chih2019-2024-05-utf8", "chih2025-2025-01"])
def test_page_cut_after_the_article_is_flagged(name: str) -> None:
    """Cut in the footer/scripts: the article may be whole, but the page did not arrive whole."""
    page = (PAGES / f"{name}.html").read_bytes()
    cut = parse(page[: page.rindex(b"</body>")])
    assert cut.body_text == parse(page).body_text
    assert _truncated(cut) and cut.confidence < 0.5


def test_closed_body_without_html_end_tag_is_complete() -> None:
    page = (PAGES / "chih2019-2024-05-utf8.html").read_bytes()
    article = parse(page[: page.rindex(b"</html>")])
    assert not _truncated(article) and article.confidence >= 0.9


def test_end_tags_in_any_case_and_spacing_and_far_from_the_end() -> None:
    page = (PAGES / "chih2025-2025-01.html").read_bytes()
    head = page[: page.rindex(b"</body>")]
    assert not _truncated(parse(head + b"</BODY >"))
    assert not _truncated(parse(head + b"< /html>"))
    # A tracker appended after </html> (longer than the tail that is searched first).
    trailer = b"\n<script>var t = '" + b"x" * 9000 + b"';</script>\n"
    assert not _truncated(parse(page + trailer))
    assert _truncated(parse(head + trailer))


def test_gbk_and_utf16_pages() -> None:
    gbk = (PAGES / "chih2019-2024-05-gbk.html").read_bytes()
    assert not _truncated(parse(gbk))
    assert _truncated(parse(_cut_in_body(gbk)))
    text = (PAGES / "chih2019-2024-05-utf8.html").read_text(encoding="utf-8")
    utf16 = text.encode("utf-16")  # with a BOM: the end tags are not ASCII bytes any more
    assert not _truncated(parse(utf16))
    cut = text[: text.rindex("</body>")].encode("utf-16")
    assert _truncated(parse(cut)) and parse(cut).confidence < 0.5
