"""Metadata: title, publication time (+08:00), source, author, editor, series, year, installment."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from parsers.normalize import collapse_all
from parsers.series import SeriesInfo, match_series_title
from parsers.site import SITE_NAMES, TITLE_SITE_NAMES

__all__ = [
    "SITE_NAMES",
    "SeriesInfo",
    "clean_title",
    "parse_datetime",
    "parse_stamp",
    "find_datetime",
    "find_stamp",
    "jsonld_published",
    "read_labelled",
    "series_info",
    "installment_number",
]

BEIJING = timezone(timedelta(hours=8))

# Site names that end a <title> after a separator: "…！⑤_中国高新网", "… - 中国高新网 - 要闻".
_SITE_SUFFIX_RE = re.compile(
    r"\s*[_|｜\-—–]+\s*(?:" + "|".join(re.escape(n) for n in TITLE_SITE_NAMES) + ")",
    re.IGNORECASE,
)
# A CMS section name left between title and site name: "…！④_要闻" (underscore only: a dash may be the title's).
_SECTION_SUFFIX_RE = re.compile(r"_[^_\s]{1,6}$")
_DT_RE = re.compile(
    r"(?<!\d)(20\d{2}|19\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT\u00a0\u3000]*(\d{1,2})\s*[:：时]\s*(\d{2})(?:\s*[:：分]\s*(\d{2}))?)?"
)
_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_LABELS = r"来源|作者|记者|通讯员|责任编辑|责编|编辑|评论|发布时间|发布日期|时间|日期|浏览|阅读|点击|字号|分享|打印|【"
_LABEL_VALUE_RE = {
    label: re.compile(
        rf"{label}\s*[：:]\s*(.+?)\s*(?=(?:{_LABELS})\s*[：:]?|[|｜]|\d{{4}}[-/年]\d|$)"
    )
    for label in ("来源", "作者", "责任编辑")
}


def clean_title(raw: str | None) -> str:
    """Title as published: whitespace runs (NBSP included) to one space, site suffix removed."""
    if not raw:
        return ""
    title = collapse_all(raw)
    hits = [m for m in _SITE_SUFFIX_RE.finditer(title) if m.start() > 0]
    if hits:
        title = _SECTION_SUFFIX_RE.sub("", title[: hits[-1].start()])
    return title.strip()


def parse_datetime(text: str | None) -> str | None:
    """First date-time in text as ISO 8601 at +08:00 (date only when the page shows no time)."""
    stamp = parse_stamp(text)
    return stamp[0] if stamp else None


def parse_stamp(text: str | None) -> tuple[str, str] | None:
    """(ISO 8601 at +08:00, precision) of the first date-time in text; precision is what the text
    shows: "second", "minute" (seconds set to :00) or "day" (a date alone)."""
    if not text:
        return None
    iso = _ISO_RE.match(text.strip())
    if iso:
        y, mo, d, h, mi, s, tz = iso.groups()
        try:
            dt = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0))
        except ValueError:
            return None
        if tz:
            sign = -1 if tz.startswith("-") else 1
            tz_clean = tz.replace(":", "")
            offset = (
                timedelta(0)
                if tz == "Z"
                else sign * timedelta(hours=int(tz_clean[1:3]), minutes=int(tz_clean[3:5]))
            )
            dt = dt.replace(tzinfo=timezone(offset)).astimezone(BEIJING)
        else:
            dt = dt.replace(tzinfo=BEIJING)
        return dt.isoformat(), "minute" if s is None else "second"
    m = _DT_RE.search(text)
    if not m:
        return None
    y, mo, d, h, mi, s = m.groups()
    try:
        if h is None:
            return datetime(int(y), int(mo), int(d)).date().isoformat(), "day"
        value = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0), tzinfo=BEIJING)
    except ValueError:  # 2024-02-30 or 25:61: not a date
        return None
    return value.isoformat(), "minute" if s is None else "second"


def find_datetime(texts: list[str]) -> str | None:
    """The first full date-time among texts, else the first date."""
    stamp = find_stamp(texts)
    return stamp[0] if stamp else None


def find_stamp(texts: list[str]) -> tuple[str, str] | None:
    """find_datetime with the precision of the value (see parse_stamp)."""
    date_only = None
    for text in texts:
        value = parse_stamp(text)
        if value and value[1] != "day":
            return value
        date_only = date_only or value
    return date_only


# JSON-LD (schema.org NewsArticle) as CMSs embed it: datePublished is read without a JSON parser
# (the blocks are often not valid JSON: trailing commas, unescaped quotes in descriptions).
_JSONLD_DATE_RE = re.compile(r'"datePublished"\s*:\s*"([^"]{8,40})"')


def jsonld_published(scripts: list[str]) -> tuple[str, str] | None:
    """datePublished of the first JSON-LD block that has one."""
    for text in scripts:
        m = _JSONLD_DATE_RE.search(text)
        if m:
            stamp = parse_stamp(m.group(1))
            if stamp:
                return stamp
    return None


def read_labelled(text: str, label: str) -> str | None:
    """Value after `label：` in a byline such as 来源：中国高新技术产业导报  评论：0."""
    m = _LABEL_VALUE_RE[label].search(text)
    if not m:
        return None
    tokens = collapse_all(m.group(1)).strip("（）() ").split(" ")
    if label == "作者":
        # Names are short: keep "张三 李四", stop before whatever text follows the byline.
        names = [tokens[0]] + [t for t in _takewhile_short(tokens[1:4])]
        value = " ".join(names)
    else:
        value = tokens[0]  # a source is one name; the rest of the window is other text
    value = value.strip("，,。；;|｜")[:30]
    return value or None


def _takewhile_short(tokens: list[str]) -> list[str]:
    out = []
    for t in tokens:
        if not 1 < len(t) <= 4 or not all("\u4e00" <= c <= "\u9fff" for c in t):
            break
        out.append(t)
    return out


def installment_number(title: str) -> int | None:
    """Installment number of a series title: ①..⑳, （一）/(十二)/之二, or Arabic ！5 / （7）."""
    info = match_series_title(title)
    return info.installment if info else None


def series_info(title: str, published: str | None = None) -> SeriesInfo:
    """Series name, year and installment number read from the title (year falls back to published)."""
    info = match_series_title(title)
    if info is None:
        return SeriesInfo(None, None, None)
    if info.year is None and published:
        return SeriesInfo(info.series, int(published[:4]), info.installment)
    return info
