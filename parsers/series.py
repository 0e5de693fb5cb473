"""The series we track and how its titles look: one recogniser for the parser and the crawler.

"国家高新区密集部署 2024年这样干！⑤" — a NBSP, U+3000 or nothing between the halves, "!" / "！" or none,
then an installment marker: a circled digit, （三）/(十二)/之二, or Arabic 17 / （7） / 第5期.
A list page may cut a title off before its marker: that is still the series (number unknown).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parsers.site import SERIES_NAME

__all__ = ["SERIES_NAME", "SeriesInfo", "match_series_title", "cn_int", "circled_int"]


_CIRCLED_RANGES = (
    (0x2460, 0x2473, 1),
    (0x3251, 0x325F, 21),
    (0x32B1, 0x32BF, 36),
)  # ①..⑳ ㉑..㉟ ㊱..㊿
_CIRCLED_CLASS = "".join(f"\\u{lo:04x}-\\u{hi:04x}" for lo, hi, _ in _CIRCLED_RANGES)

_TITLE_RE = re.compile(
    SERIES_NAME + r"\s*(?:(?P<year>(?:19|20)\d{2})\s*年)?\s*这样干\s*[!！]?\s*"
    rf"(?:(?P<circled>[{_CIRCLED_CLASS}])"
    r"|[（(\[【]?\s*(?:之|第)?\s*(?P<cn>[一二三四五六七八九十]{1,3})\s*(?:期|篇)?\s*[）)\]】]?"
    r"|[（(\[【]?\s*(?:之|第)?\s*(?P<arabic>\d{1,3})\s*(?:期|篇)?\s*[）)\]】]?)?"
)

_CN_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


@dataclass(frozen=True)
class SeriesInfo:
    """What a title says about the series: name, year (None if it names none), installment number."""

    series: str | None  # None: not a series title (series_info of another article)
    year: int | None
    installment: int | None


def match_series_title(text: str) -> SeriesInfo | None:
    """SeriesInfo when `text` is a title of the series, else None."""
    m = _TITLE_RE.search(" ".join(text.split()))
    if m is None:
        return None
    if m["circled"]:
        number: int | None = circled_int(m["circled"])
    elif m["cn"]:
        number = cn_int(m["cn"])
    elif m["arabic"]:
        number = int(m["arabic"])
    else:
        number = None
    return SeriesInfo(SERIES_NAME, int(m["year"]) if m["year"] else None, number)


def circled_int(ch: str) -> int | None:
    """① -> 1 ... ㊿ -> 50; None for any other character."""
    code = ord(ch) if len(ch) == 1 else -1
    for lo, hi, first in _CIRCLED_RANGES:
        if lo <= code <= hi:
            return code - lo + first
    return None


def cn_int(text: str) -> int | None:
    """A Chinese numeral (三, 十二, 二十, 百, 一千二百) as an int; None if `text` is not one."""
    if not text or any(ch not in _CN_DIGITS and ch not in _CN_UNITS for ch in text):
        return None
    total, digit = 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        else:
            total += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
    return total + (digit or 0)
