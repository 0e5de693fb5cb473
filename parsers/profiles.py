"""Site profiles: declarative selectors for known templates (data, not code paths)."""

from __future__ import annotations

from dataclasses import dataclass, field

from cssselect import GenericTranslator
from lxml import etree

__all__ = ["Profile", "PROFILES", "match_profile"]

_CSS = GenericTranslator()


@dataclass(frozen=True)
class Profile:
    """A known article template: CSS selectors for its parts (first match of each is used)."""

    name: str
    title: str
    body: str
    published: str | None = None
    source: str | None = None  # the byline holding 来源：/作者：
    url_hint: str | None = None  # substring of URLs usually of this template (for docs/logging only)
    min_body_chars: int = 80  # below this the profile's body "looks wrong": fall back to generic
    _xpaths: dict[str, etree.XPath] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for part in ("title", "body", "published", "source"):
            css = getattr(self, part)
            if css:
                self._xpaths[part] = etree.XPath(_CSS.css_to_xpath(css))

    def first(self, doc: etree._Element, part: str) -> etree._Element | None:
        """First element of the document matching this profile's selector for part."""
        xp = self._xpaths.get(part)
        if xp is None:
            return None
        hits = xp(doc)
        return hits[0] if hits else None


PROFILES: tuple[Profile, ...] = (
    # The older chih.cn article template (2019-2024), per SITE.md and public crawlers of the site.
    Profile(
        name="chih-2019",
        title="div.title_nr h1",
        body="div.content",
        published="div.addtime",
        source="div.source",
        url_hint="/html/hotnews/",
    ),
)


def match_profile(doc: etree._Element) -> tuple[Profile, etree._Element] | None:
    """The first profile whose title and body selectors both match, with its body element."""
    for profile in PROFILES:
        body = profile.first(doc, "body")
        if body is not None and profile.first(doc, "title") is not None:
            return profile, body
    return None
