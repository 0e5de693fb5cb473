"""The parser's typed signals: Article.truncated, and the confidence numbers parser and store share."""

from __future__ import annotations

from pathlib import Path

import parsers
from parsers import Article, parse
from parsers.confidence import (
    GENERIC_CAP,
    PROFILE_CONFIDENCE,
    PROFILE_NO_SOURCE_CONFIDENCE,
    SUSPECT_CONFIDENCE,
    SUSPECT_ZONES_CONFIDENCE,
    TRUNCATED_CONFIDENCE,
    UNKNOWN_ZONE_CONFIDENCE,
)

PAGES = Path(__file__).resolve().parents[2] / "fixtures" / "pages"
PAGE = PAGES / "chih2019-2024-05-utf8.html"


def test_the_thresholds_keep_their_order() -> None:
    # A page the parser doubts (truncated, zones merged) must land below the store's floor; a clean
    # hit, an unknown zone and a generic hit above it.
    assert SUSPECT_CONFIDENCE == 0.5
    assert TRUNCATED_CONFIDENCE == 0.4 and SUSPECT_ZONES_CONFIDENCE == 0.45
    assert (
        TRUNCATED_CONFIDENCE < SUSPECT_CONFIDENCE and SUSPECT_ZONES_CONFIDENCE < SUSPECT_CONFIDENCE
    )
    assert SUSPECT_CONFIDENCE < UNKNOWN_ZONE_CONFIDENCE < PROFILE_CONFIDENCE
    assert GENERIC_CAP == PROFILE_NO_SOURCE_CONFIDENCE == 0.92 and PROFILE_CONFIDENCE == 0.97


def test_the_store_reads_the_parsers_floor() -> None:
    from storage import store

    assert store.SUSPECT_CONFIDENCE is parsers.SUSPECT_CONFIDENCE


def test_a_whole_page_is_not_truncated_and_its_json_has_no_such_key() -> None:
    article = parse(PAGE.read_bytes())
    assert article.truncated is False
    assert "truncated" not in article.to_dict()


def test_a_cut_page_is_truncated_in_the_field_and_the_json() -> None:
    data = PAGE.read_bytes()
    article = parse(data[: data.index(b"</body>")])
    assert article.truncated is True
    assert article.to_dict()["truncated"] is True
    assert Article.from_dict(article.to_dict()).truncated is True
    assert Article.from_dict({"title": "t"}).truncated is False
