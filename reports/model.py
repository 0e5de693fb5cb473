"""View helpers shared by the report templates: dates, links, inline diffs, grouping."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "Segment",
    "template_filters",
    "ZoneChanges",
    "circled",
    "fmt_date",
    "fmt_time",
    "group_by_zone",
    "installment_label",
    "md_escape",
    "http_link",
    "segments",
    "stable_id",
    "strip_xml_invalid",
    "target_value",
]

BEIJING = timezone(timedelta(hours=8), "CST")
# Qualifiers storage/targets.py reads after the number (100亿元以上); the rest come before it.
_SUFFIX_KINDS = ("以上", "左右", "以内", "以下")
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
# Characters XML 1.0 forbids; a hostile or broken page could carry them into titles/paragraphs.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Markdown punctuation that could start markup (links, emphasis, raw HTML, table cells,
# ~~strikethrough~~ in GFM and most renderers).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


@dataclass(frozen=True)
class Segment:
    """One run of an inline diff: op is '=' (same), '-' (deleted) or '+' (inserted)."""

    op: str
    text: str


@dataclass(frozen=True)
class ZoneChanges:
    """The changes of one zone (None: outside any zone, e.g. the intro)."""

    zone: str | None
    changes: tuple[Mapping[str, Any], ...]


def circled(n: int | None) -> str:
    """Installment number as the site writes it (5 -> ⑤)."""
    if n is None:
        return ""
    return _CIRCLED[n - 1] if 1 <= n <= len(_CIRCLED) else f"({n})"


def installment_label(item: Mapping[str, Any]) -> str:
    """Short label such as 2024年⑤, or the title when year/number are unknown."""
    year, number = item.get("year"), item.get("installment")
    if year and number:
        return f"{year}年{circled(number)}"
    return str(item.get("title") or item.get("url") or "")


def _parse(iso: str | None) -> datetime | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
    except ValueError:
        return None


def _beijing(dt: datetime) -> datetime:
    # Storage keeps UTC, the site prints Beijing time: show everything in the site's time,
    # unless the user chose another display zone (`chihwatch --tz`, $CHIHWATCH_TZ).
    from chihwatch.timefmt import zone

    return dt.astimezone(zone()) if dt.tzinfo else dt


def zone_label() -> str:
    """How the report names its time zone: 北京时间 for the default, else the zone's name."""
    from chihwatch.timefmt import DEFAULT_ZONE, zone_name

    name = zone_name()
    return "北京时间" if name == DEFAULT_ZONE else name


def fmt_time(iso: str | None) -> str:
    """ISO 8601 as `2024-02-06 08:53`, Beijing time."""
    dt = _parse(iso)
    if dt is None:
        return str(iso or "")
    return _beijing(dt).strftime("%Y-%m-%d %H:%M")


def fmt_date(iso: str | None) -> str:
    """ISO 8601 as `2024-02-06`, Beijing time."""
    dt = _parse(iso)
    return _beijing(dt).strftime("%Y-%m-%d") if dt else str(iso or "")


def http_link(url: str | None) -> str | None:
    """The URL if it is http(s), else None: autoescaping does not stop `javascript:` links."""
    if not url:
        return None
    try:
        parts = urlsplit(str(url).strip())
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return str(url).strip()
    return None


def segments(change: Mapping[str, Any]) -> list[Segment]:
    """Inline runs of a change; falls back to whole before/after when storage gave none."""
    inline = change.get("inline") or []
    out = [Segment(str(op), str(text)) for op, text in inline if text and op in ("=", "-", "+")]
    if out:
        return out
    if change.get("before"):
        out.append(Segment("-", str(change["before"])))
    if change.get("after"):
        out.append(Segment("+", str(change["after"])))
    return out


def group_by_zone(changes: Iterable[Mapping[str, Any]]) -> list[ZoneChanges]:
    """Changes grouped by zone, zones in order of first appearance."""
    groups: dict[str | None, list[Mapping[str, Any]]] = {}
    for change in changes:
        groups.setdefault(change.get("zone"), []).append(change)
    return [ZoneChanges(zone, tuple(items)) for zone, items in groups.items()]


def target_value(target: Mapping[str, Any]) -> str:
    """A target as the text states it: `增长5%`, `100亿元以上`, `不少于70个` (kind split around the number)."""
    if "relation" in target:  # a figure-model row (docs/figures.md)
        from parsers.figures import figure_display

        return figure_display(dict(target))
    value = target.get("value")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    kind = str(target.get("kind") or "")
    suffix = next((s for s in _SUFFIX_KINDS if kind.endswith(s)), "")
    prefix = kind[: len(kind) - len(suffix)]
    return f"{prefix}{'' if value is None else value}{target.get('unit') or ''}{suffix}"


def md_escape(text: Any) -> str:
    """Escape Markdown markup (incl. raw HTML) with backslashes; plain text stays readable."""
    # Line breaks would end a list item or table row; other spaces are kept (they may be the change).
    flat = re.sub(r"\s*[\r\n]+\s*", " ", str(text if text is not None else ""))
    return _MD_SPECIAL.sub(r"\\\1", flat)


def strip_xml_invalid(text: str) -> str:
    """Drop characters that XML 1.0 forbids."""
    return _XML_INVALID.sub("", text)


def stable_id(*parts: Any) -> str:
    """A short hash that stays the same for the same content (Atom entry ids)."""
    blob = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def template_filters() -> dict[str, Any]:
    """The filters every template of the report's look uses (the report, the web app)."""
    return {
        "fmt_time": fmt_time,
        "fmt_date": fmt_date,
        "http_link": http_link,
        "segments": segments,
        "group_by_zone": group_by_zone,
        "target_value": target_value,
        "installment_label": installment_label,
        "circled": circled,
    }
