"""chihwatch's parser: page bytes in, Article out (pure: no network, no database).

The package face only: `parse` and what its callers read. The stages are modules named for what
they do — pipeline (the steps in order), html (tree, text, truncation), decode (charset), profiles
and selectors (known templates), generic (main-text extraction), body (either path's result), clean
(chrome removed), fallbacks and meta (metadata), zones and gazetteer (segmentation), series, site
(everything known about chih.cn, as data), confidence (the numbers parser and store share), model.
"""

from __future__ import annotations

from parsers.body import MIN_ARTICLE_CHARS
from parsers.confidence import (
    SUSPECT_CONFIDENCE,
    SUSPECT_ZONES_CONFIDENCE,
    TRUNCATED_CONFIDENCE,
    UNKNOWN_ZONE_CONFIDENCE,
    UNKNOWN_ZONE_PENALTY,
)
from parsers.model import Article, Zone
from parsers.pipeline import PARSER_VERSION, parse
from parsers.site import SERIES_NAME

__all__ = [
    "parse",
    "PARSER_VERSION",
    "Article",
    "Zone",
    "MIN_ARTICLE_CHARS",
    "SERIES_NAME",
    "SUSPECT_CONFIDENCE",
    "SUSPECT_ZONES_CONFIDENCE",
    "TRUNCATED_CONFIDENCE",
    "UNKNOWN_ZONE_CONFIDENCE",
    "UNKNOWN_ZONE_PENALTY",
]
