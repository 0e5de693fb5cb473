"""chihwatch's parser: page bytes in, Article out (pure: no network, no database).

The package face only: `parse` and what its callers read. The stages are modules named for what
they do — pipeline (the steps in order), html (tree, text, truncation), decode (charset), profiles
and selectors (known templates), generic (main-text extraction), body (either path's result), clean
(chrome removed), fallbacks and meta (metadata), zones and gazetteer (segmentation), series, site
(everything known about chih.cn, as data), confidence (the numbers parser and store share), model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chihwatch.lazy import lazy_attributes
from parsers.confidence import (
    SUSPECT_CONFIDENCE,
    SUSPECT_ZONES_CONFIDENCE,
    TRUNCATED_CONFIDENCE,
    UNKNOWN_ZONE_CONFIDENCE,
    UNKNOWN_ZONE_PENALTY,
)
from parsers.model import Article, Zone

if TYPE_CHECKING:
    from parsers.body import MIN_ARTICLE_CHARS
    from parsers.pipeline import PARSER_VERSION, parse
    from parsers.site import SERIES_NAME

# The parse itself (pipeline and every stage, ~45 ms of imports) and the site's facts (their
# selectors compiled, ~16 ms) load on first use: a command that only reads the store (`chihwatch
# list`) imports `parsers` for the model and never parses (issue 16).
_LAZY = {
    "parse": "parsers.pipeline",
    "PARSER_VERSION": "parsers.pipeline",
    "MIN_ARTICLE_CHARS": "parsers.body",
    "SERIES_NAME": "parsers.site",
}

__getattr__ = lazy_attributes(__name__, _LAZY, globals())


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
