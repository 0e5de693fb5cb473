"""Site profiles are data: selector matching, byte markers, and what a profile hit reports."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from parsers import parse
from parsers.profiles import PROFILES, Profile, match_profile
from tests.parsers.chihparse_pages import old_page, series_body


def _doc(html: str) -> etree._Element:
    return etree.fromstring(html, etree.HTMLParser())


def test_class_selectors_match_whole_class_tokens_only() -> None:
    profile = Profile(name="t", title="div.title_nr h1", body="div.content")
    doc = _doc(
        '<html><body><div class="title_nr_x"><h1>no</h1></div><div class="a title_nr"><p><h1>yes</h1></p></div>'
        '<div class="content-box">no</div><div class="main content">body</div></body></html>'
    )
    assert profile.first(doc, "title").text == "yes"
    assert profile.first(doc, "body").text == "body"


def test_complex_selectors_go_through_cssselect() -> None:
    profile = Profile(name="t", title="div > h1", body="div.content p:first-child")
    doc = _doc(
        '<html><body><section><h1>no</h1></section><div><h1>T</h1></div><div class="content"><p>a</p><p>b</p></div></body></html>'
    )
    assert profile.first(doc, "title").text == "T"
    assert profile.first(doc, "body").text == "a"


def test_markers_absent_from_the_bytes_skip_the_profile() -> None:
    raw = old_page(series_body()).encode("utf-8")
    doc = _doc(raw.decode("utf-8"))
    assert match_profile(doc, raw) is not None
    assert (
        match_profile(doc, raw.replace(b"title_nr", b"title_xx")) is None
    )  # the tree is never asked
    assert [p.name for p in PROFILES] == ["chih-2019", "chih-epaper"]


def test_profile_hit_reports_template_and_high_confidence() -> None:
    article = parse(old_page(series_body()).encode("utf-8"))
    assert article.template == "chih-2019"
    assert article.confidence >= 0.95 and article.warnings == ()


def test_a_profile_with_hosts_is_not_tried_for_a_url_elsewhere() -> None:
    raw = (
        Path(__file__).resolve().parents[2] / "fixtures/pages/epaper-2025-lead.html"
    ).read_bytes()
    doc = _doc(raw.decode("utf-8"))
    here = "http://paper.chinahightech.com/pc/content/202503/24/content_61234.html"
    assert match_profile(doc, raw, here).profile.name == "chih-epaper"
    assert match_profile(doc, raw).profile.name == "chih-epaper"  # no URL: markers decide
    assert match_profile(doc, raw, "https://www.sohu.com/a/1_2") is None
