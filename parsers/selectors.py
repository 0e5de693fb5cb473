"""A site profile's machinery: a template's CSS selectors (Profile) and how they are matched fast.

The profiles themselves are data in parsers/site.py; parsers/profiles.py picks the one a page matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from lxml import etree

__all__ = ["Profile", "TagIndex"]


@dataclass(frozen=True)
class Profile:
    """A known article template: CSS selectors for its parts (first match of each is used)."""

    name: str
    title: str
    body: str
    published: str | None = None
    source: str | None = None  # the byline holding 来源：/作者：
    url_hint: str | None = (
        None  # substring of URLs usually of this template (for docs/logging only)
    )
    # Byte strings every page of the template contains (class names): when one is missing from the
    # raw bytes the profile cannot match, and the tree is not searched at all.
    markers: tuple[bytes, ...] = ()
    min_body_chars: int = 80  # below this the profile's body "looks wrong": fall back to generic
    # The source when the template itself names it (an e-paper is its newspaper) and no byline does.
    source_name: str | None = None
    # Hosts the template lives on: when the page's URL is known and on another host, the profile
    # is not tried at all (its markers' scan of the raw bytes costs ~0.1 lxml parses of a page).
    hosts: tuple[str, ...] = ()
    _xpaths: dict[str, etree.XPath] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for part in ("title", "body", "published", "source"):
            css = getattr(self, part)
            if css and _simple(css) is None:
                # Only selectors beyond "tag.class tag" need cssselect (installed with Scrapy).
                from cssselect import GenericTranslator

                self._xpaths[part] = etree.XPath(GenericTranslator().css_to_xpath(css))

    def first(
        self, doc: etree._Element, part: str, index: TagIndex | None = None
    ) -> etree._Element | None:
        """First element of the document matching this profile's selector for part."""
        css = getattr(self, part)
        if not css:
            return None
        simple = _simple(css)
        if simple is not None:
            return _first_simple(doc, simple, index)
        hits = self._xpaths[part](doc)
        return hits[0] if hits else None


class TagIndex:
    """Elements of one document by tag, each listed once: several selectors share one pass."""

    __slots__ = ("_doc", "_by_tag")

    def __init__(self, doc: etree._Element) -> None:
        self._doc = doc
        self._by_tag: dict[str, list[tuple[etree._Element, str | None, str | None]]] = {}

    def get(self, tag: str) -> list[tuple[etree._Element, str | None, str | None]]:
        hit = self._by_tag.get(tag)
        if hit is None:
            hit = self._by_tag[tag] = [
                (el, el.get("class"), el.get("id")) for el in self._doc.iter(tag)
            ]
        return hit


# "tag.class tag.class" selectors (all our profiles use) are matched by a loop over candidate tags:
# ten times faster than the generic XPath that cssselect produces (normalize-space/concat per node).
_COMPOUND_RE = re.compile(r"^([a-z][a-z0-9]*)?(?:\.([A-Za-z0-9_-]+))?(?:#([A-Za-z0-9_-]+))?$")


@lru_cache(maxsize=256)
def _simple(css: str) -> tuple[tuple[str | None, str | None, str | None], ...] | None:
    steps = []
    for part in css.split():
        m = _COMPOUND_RE.match(part)
        if m is None or not any(m.groups()):
            return None
        steps.append((m.group(1), m.group(2), m.group(3)))
    return tuple(steps)


def _matches(el: etree._Element, cls: str | None, ident: str | None) -> bool:
    if ident is not None and el.get("id") != ident:
        return False
    if cls is not None:
        value = el.get("class")
        return bool(value) and cls in value.split()
    return True


@lru_cache(maxsize=256)
def _prefilter(tag: str | None, cls: str | None, ident: str | None) -> etree.XPath:
    test = f"contains(@class, '{cls}')" if cls is not None else f"@id = '{ident}'"
    return etree.XPath(f".//{tag or '*'}[{test}]")


def _first_simple(
    root: etree._Element,
    steps: tuple[tuple[str | None, str | None, str | None], ...],
    index: TagIndex | None = None,
) -> etree._Element | None:
    (tag, cls, ident), rest = steps[0], steps[1:]
    if index is not None and tag:
        for el, el_cls, el_id in index.get(tag):
            if ident is not None and el_id != ident:
                continue
            if cls is not None and not (el_cls and cls in el_cls.split()):
                continue
            found = _first_simple(el, rest) if rest else el
            if found is not None:
                return found
        return None
    if cls is not None or ident is not None:
        candidates = _prefilter(tag, cls, ident)(root)  # substring test in C, exact check below
    else:
        candidates = root.iter(tag) if tag else root.iter()
    for el in candidates:
        if el is root or not isinstance(el.tag, str) or not _matches(el, cls, ident):
            continue
        if not rest:
            return el
        found = _first_simple(el, rest)
        if found is not None:
            return found
    return None
