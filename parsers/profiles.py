"""Which site profile a page matches: the first whose title and body selectors both find an element.

The profiles are data (parsers/site.py); their selector machinery is parsers/selectors.py.
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit

from lxml import etree

from parsers.selectors import Profile, TagIndex
from parsers.site import PROFILES

__all__ = ["Profile", "PROFILES", "Match", "TagIndex", "match_profile"]


class Match(NamedTuple):
    """A profile that matched, its body element, and the tag index to resolve its other parts."""

    profile: Profile
    body: etree._Element
    tags: TagIndex  # not `index`, which would shadow tuple.index


def match_profile(
    doc: etree._Element, raw: bytes | None = None, url: str | None = None
) -> Match | None:
    """The first profile whose title and body selectors both match, with its body element."""
    index = TagIndex(doc)
    host = urlsplit(url).hostname if url else None
    for profile in PROFILES:
        if host is not None and profile.hosts and host not in profile.hosts:
            continue
        if raw is not None and not all(m in raw for m in profile.markers):
            continue
        body = profile.first(doc, "body", index)
        if body is not None and profile.first(doc, "title", index) is not None:
            return Match(profile, body, index)
    return None
