"""The page as a tree: libxml2 parsers, the UTF-8 fast path, text of elements, <meta> values, and
whether the HTML reaches its end."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping

from lxml import etree

from chihwatch.errors import NotHTML
from parsers.decode import PERMISSIVE, declared_charsets, has_markup, normalise_charset, precheck
from parsers.normalize import collapse_all

__all__ = ["tree", "fast_utf8", "is_truncated", "raw_text", "text", "metas", "release"]

_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
# A page cut off in transit or by a CMS that died while rendering never reaches its end tags; every
# chih.cn page (both designs) ends with `</body></html>` after the footer and scripts.
_END_TAG_B = re.compile(rb"<\s*/\s*(?:html|body)\s*>", re.IGNORECASE)
_END_TAG = re.compile(r"<\s*/\s*(?:html|body)\s*>", re.IGNORECASE)
# The end tags are looked for in the page's last bytes first (where they are), then everywhere.
_TAIL_BYTES = 4096
_ENCODING_ERRORS = [etree.ErrorTypes.ERR_INVALID_ENCODING, etree.ErrorTypes.ERR_INVALID_CHAR]

# A plain libxml2 HTML parser (not lxml.html's): no Python class lookup per element, which is most
# of the cost of walking a fresh tree. Parsers are not shared between threads.
_local = threading.local()


def _parser() -> etree.HTMLParser:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.HTMLParser(remove_comments=True, remove_pis=True)
    return parser


def tree(text: str) -> etree._Element:
    """The document of decoded page text; raises NotHTML when libxml2 finds none."""
    if (
        text[:64].lstrip().startswith("<?xml")
    ):  # lxml refuses str input with an encoding declaration
        text = _XML_DECL_RE.sub("", text, count=1)
    try:
        doc = etree.fromstring(text, _parser())
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise NotHTML(f"input is not HTML ({exc})") from exc
    if doc is None:
        raise NotHTML("input is not HTML: no document")
    return doc


def fast_utf8(data: bytes, headers: Mapping[str, str] | None) -> etree._Element | None:
    """Tree straight from the bytes when they are UTF-8 (most pages); None to take the decode path.

    libxml2 validates UTF-8 while it parses and logs ERR_INVALID_ENCODING on the first bad byte, so
    a valid page is never decoded twice; anything else (a BOM, a declared GBK, invalid bytes) goes
    through decode.decode, which tries the candidates strictly.
    """
    if precheck(data) is not None:
        return None
    for label in declared_charsets(data, headers):
        codec = normalise_charset(label)
        if codec is not None and codec != "utf-8" and codec not in PERMISSIVE:
            return None
    if not has_markup(data):
        raise NotHTML("input is not HTML: no HTML tags found")
    parser = getattr(_local, "utf8", None)
    if parser is None:
        parser = _local.utf8 = etree.HTMLParser(
            remove_comments=True, remove_pis=True, encoding="utf-8"
        )
    try:
        doc = etree.fromstring(data, parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    if doc is None or parser.error_log.filter_types(_ENCODING_ERRORS):
        return None
    return doc


def is_truncated(data: bytes, text: str | None) -> bool:
    """True when the page never reaches `</body>` or `</html>`: the HTML stops before its end."""
    if text is not None:  # UTF-16 and other non-ASCII-compatible bytes: look at the decoded text
        return _END_TAG.search(text) is None
    tail = data[-_TAIL_BYTES:]
    if b"</html>" in tail or b"</body>" in tail:  # the usual spelling, found by memmem
        return False
    return _END_TAG_B.search(data, max(0, len(data) - _TAIL_BYTES)) is None and (
        len(data) <= _TAIL_BYTES or _END_TAG_B.search(data) is None
    )


def raw_text(el: etree._Element | None, *, tail: bool = False) -> str:
    """The element's text as libxml2 renders it (whitespace as in the source)."""
    if el is None:
        return ""
    return etree.tostring(el, method="text", encoding=str, with_tail=tail)


def text(el: etree._Element | None) -> str:
    """The element's text, whitespace runs collapsed."""
    return collapse_all(raw_text(el))


def metas(doc: etree._Element) -> dict[str, str]:
    """<meta> name/property/itemprop (lower-cased) -> content, first occurrence wins."""
    cached = _local.__dict__.get("metas")
    if cached is not None and cached[0] is doc:
        return cached[1]
    head = doc.find("head")
    out: dict[str, str] = {}
    for el in (head if head is not None else doc).iter("meta"):
        content = el.get("content")
        if content is None:
            continue
        for attr in ("property", "name", "itemprop"):
            key = el.get(attr)
            if key:
                out.setdefault(key.strip().lower(), content)
    _local.metas = (doc, out)  # title and time both ask; one parse at a time per thread
    return out


def release() -> None:
    """Forget the last page's <meta> values (they keep its tree alive)."""
    _local.metas = None
