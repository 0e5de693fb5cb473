"""Bytes to text: charset from HTTP header, BOM or <meta>, with a strict-decoding fallback chain."""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass

from chihwatch.errors import EmptyInput, NotHTML

__all__ = [
    "Decoded",
    "decode",
    "precheck",
    "declared_charsets",
    "has_markup",
    "normalise_charset",
    "sniff_meta_charset",
    "PERMISSIVE",
]

log = logging.getLogger(__name__)

# GB2312 and GBK pages routinely contain characters outside their declared set (the site's editors
# paste from Word); GB18030 is a strict superset of both, so decoding as it never loses a character.
_ALIASES = {
    "gb2312": "gb18030",
    "gb_2312": "gb18030",
    "gb_2312-80": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "ms936": "gb18030",
    "windows-936": "gb18030",
    "euc-cn": "gb18030",
    "csgb2312": "gb18030",
    "gb18030": "gb18030",
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
}
# Declared charsets that decode any byte string without error, so they never prove anything:
# a page declaring one of these is tried as UTF-8 / GB18030 first (WHATWG also maps them to cp1252).
PERMISSIVE = {"latin-1", "iso8859-1", "cp1252", "ascii"}

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_RE = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_DECL_RE = re.compile(rb"""<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HEADER_RE = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_TAG_RE_B = re.compile(
    rb"<\s*(?:!doctype\s+html|html|head|body|meta|title|div|p|span|table|a|h[1-6]|br|script|ul|section|article)\b",
    re.IGNORECASE,
)
_TAG_RE = re.compile(
    r"<\s*(?:!doctype\s+html|html|head|body|meta|title|div|p|span|table|a|h[1-6]|br|script|ul|section|article)\b",
    re.IGNORECASE,
)
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 27))
# Magic numbers of formats that are surely not HTML.
_MAGIC = (
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"%PDF",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"BZh",
    b"\x7fELF",
)


@dataclass(frozen=True)
class Decoded:
    """Decoded text of a page and how the charset was found."""

    text: str
    encoding: str  # the codec used (gb18030 for any GB2312/GBK declaration)
    declared: str | None  # what the page or header claimed, if anything
    how: str  # "bom" | "header" | "meta" | "sniffed"
    lossy: bool = False  # some bytes could not be decoded (a truncated multi-byte tail at most)


def normalise_charset(name: str | None) -> str | None:
    """Codec name for a declared charset label, None if Python does not know it."""
    if not name:
        return None
    label = name.strip().strip("\"'").lower()
    if label in _ALIASES:
        return _ALIASES[label]
    try:
        codec = codecs.lookup(label).name
    except LookupError:
        return None
    return _ALIASES.get(codec, codec)


def sniff_meta_charset(head: bytes) -> str | None:
    """Charset declared in a <meta charset> / <meta http-equiv> tag or XML declaration, if any."""
    m = _META_RE.search(head) or _XML_DECL_RE.search(head)
    return m.group(1).decode("ascii", "replace") if m else None


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == name:
            return value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return None


def _try(data: bytes, codec: str) -> tuple[str, bool] | None:
    """Strict decode; a failure only within the last 3 bytes is a truncated character, not a lie."""
    try:
        if codec == "gb18030":
            # CPython's GBK decoder is twice as fast, and every byte string it decodes, GB18030
            # decodes to the same text (checked over all two-byte codes); 4-byte codes fall through.
            try:
                return data.decode("gbk"), False
            except UnicodeDecodeError:
                pass
        return data.decode(codec), False
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3:
            return data[: exc.start].decode(codec, "replace"), True
        return None
    except LookupError:
        return None


def _few_utf8_errors(data: bytes) -> bool:
    """False when the bytes surely hold more UTF-8 errors than a stray byte or two (any GBK page).

    Decoding a whole GBK page as UTF-8 with replacement costs more than parsing it; a window after
    the first error tells: a window holding more errors than the page may have (one more for a
    character cut at the window's end) settles it, anything else is decided on the whole text.
    """
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        start = exc.start
    window = data[start : start + 4096].decode("utf-8", "replace")
    return window.count("\ufffd") <= max(3, len(data) // 2000) + 1


def _looks_binary(data: bytes) -> bool:
    if data.startswith(_MAGIC):
        return True
    sample = data[:4096]
    # UTF-16 text is full of NULs; it has a BOM and was handled before this is called.
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > max(8, len(sample) // 100)


def precheck(data: bytes) -> str | None:
    """Raise EmptyInput / NotHTML for what is surely no page; the BOM's codec if there is one."""
    if not data or data.isspace():
        raise EmptyInput("empty input: no bytes to parse")
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec
    if _looks_binary(data):
        raise NotHTML("input is binary data, not an HTML page")
    return None


def declared_charsets(
    data: bytes, headers: Mapping[str, str] | None
) -> tuple[str | None, str | None]:
    """Charset labels from the Content-Type header and from the page's <meta>, as written."""
    header_cs = None
    ctype = _header(headers, "content-type")
    if ctype:
        m = _HEADER_RE.search(ctype)
        header_cs = m.group(1) if m else None
    return header_cs, sniff_meta_charset(
        data[:4096]
    )  # WHATWG prescan reads 1024 bytes; be generous


def has_markup(data: bytes) -> bool:
    """True when the first 64 KB hold at least one HTML tag."""
    return _TAG_RE_B.search(data, 0, 65536) is not None


def decode(data: bytes, headers: Mapping[str, str] | None = None) -> Decoded:
    """Decode page bytes; raise EmptyInput for nothing, NotHTML for binary data or plain text.

    UTF-8 is tried first whatever the page declares: text in GBK is never valid UTF-8 beyond a few
    characters, while UTF-8 read as GB18030 "succeeds" as mojibake. Then the header's charset, the
    <meta> charset, and GB18030.
    """
    bom = precheck(data)
    if bom is not None:
        for mark, codec in _BOMS:
            if codec == bom:
                text = data[len(mark) :].decode(codec, "replace")
                return _checked(Decoded(text, codec, codec, "bom"))
    header_cs, meta_cs = declared_charsets(data, headers)
    header_codec, meta_codec = normalise_charset(header_cs), normalise_charset(meta_cs)
    utf8_how = (
        "header" if header_codec == "utf-8" else "meta" if meta_codec == "utf-8" else "sniffed"
    )
    candidates: list[tuple[str, str, str | None]] = [("utf-8", utf8_how, header_cs or meta_cs)]
    for how, declared, named in (
        ("header", header_cs, header_codec),
        ("meta", meta_cs, meta_codec),
    ):
        if named and named not in PERMISSIVE:
            candidates.append((named, how, declared))
    candidates.append(("gb18030", "sniffed", header_cs or meta_cs))

    seen: set[str] = set()
    for codec, how, declared in candidates:
        if codec in seen:
            continue
        seen.add(codec)
        got = _try(data, codec)
        if got is None and codec == "utf-8" and _few_utf8_errors(data):
            # A UTF-8 page with a stray bad byte stays UTF-8 (GB18030 would "decode" it as mojibake);
            # text in another charset fails UTF-8 everywhere, not once or twice.
            text = data.decode("utf-8", "replace")
            if text.count("\ufffd") <= max(3, len(text) // 2000):
                return _checked(Decoded(text, codec, declared, how, True))
        if got is not None:
            text, lossy = got
            if how == "sniffed" and declared:
                log.info("declared charset %r does not decode the page; %s does", declared, codec)
            return _checked(Decoded(text, codec, declared, how, lossy))
    # Neither UTF-8 nor GB18030 decodes it: keep what we can rather than fail on a few bad bytes.
    codec = header_codec or meta_codec or "gb18030"
    return _checked(
        Decoded(data.decode(codec, "replace"), codec, header_cs or meta_cs, "sniffed", True)
    )


def _checked(doc: Decoded) -> Decoded:
    """Reject text that has no HTML markup at all."""
    if not _TAG_RE.search(doc.text, 0, 65536):
        raise NotHTML("input is not HTML: no HTML tags found")
    bad = doc.text.count("\ufffd") if doc.lossy or doc.how == "bom" else 0
    if bad > max(16, len(doc.text) // 50):
        raise NotHTML("input is not HTML text: too many undecodable bytes")
    return doc
