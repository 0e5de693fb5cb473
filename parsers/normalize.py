"""Whitespace normalisation of paragraph text (shared by the parser and the diff engine)."""

from __future__ import annotations

import re

__all__ = ["norm_text", "browser_ws", "trim", "collapse_all"]

# What a browser collapses in normal text: ASCII whitespace only (NBSP and U+3000 are kept).
_ASCII_WS = re.compile(r"[ \t\n\r\f]+")
# What counts as padding at the ends of a paragraph: any whitespace incl. NBSP, U+3000, ZWSP, BOM.
_PAD = " \t\n\r\f\v\u00a0\u3000\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b\u202f\u205f\ufeff"
# Public for the walk's inlined copy of browser_ws + trim (blocks.walk).
ASCII_WS_RE = _ASCII_WS
PAD = _PAD
# Any run of whitespace, NBSP and full-width spaces included.
_ANY_WS = re.compile(r"[\s\u00a0\u3000\u2000-\u200b\u202f\u205f\ufeff]+")


def browser_ws(s: str) -> str:
    """Collapse runs of source-formatting (ASCII) whitespace to one space, as a browser renders."""
    # Most runs of text hold no formatting whitespace: test with C-level `in` before the regex.
    if "\n" in s or "  " in s or "\t" in s or "\r" in s or "\f" in s:
        return _ASCII_WS.sub(" ", s)
    return s


def trim(s: str) -> str:
    """Strip whitespace, NBSP and full-width spaces from both ends."""
    return s.strip(_PAD)


def collapse_all(s: str) -> str:
    """Every run of whitespace (NBSP and U+3000 included) to one ASCII space, ends trimmed."""
    return _ANY_WS.sub(" ", s).strip()


def norm_text(s: str) -> str:
    """The normal form used to compare paragraphs: ends trimmed, inner whitespace runs collapsed."""
    return collapse_all(s)
