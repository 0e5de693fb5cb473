"""Indicator synonyms: the canonical spelling of a figure's indicator (规上 -> 规模以上, 生产总值 ->
地区生产总值). The synonyms are data, parsers/data/indicators.toml."""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

__all__ = ["canonical_indicator", "same_indicator"]

_DATA = Path(__file__).with_name("data") / "indicators.toml"


@lru_cache(maxsize=1)
def _synonyms() -> tuple[list[tuple[str, str]], dict[str, str]]:
    data = tomllib.loads(_DATA.read_text(encoding="utf-8"))
    replace = sorted(data.get("replace", {}).items(), key=lambda kv: -len(kv[0]))
    same: dict[str, str] = {}
    for canonical, spellings in data.get("same", {}).items():
        same[canonical] = canonical
        for s in spellings:
            same[s] = canonical
    return replace, same


@lru_cache(maxsize=4096)
def canonical_indicator(indicator: str) -> str:
    """The canonical spelling of an indicator (规上 -> 规模以上, 生产总值 -> 地区生产总值)."""
    replace, same = _synonyms()
    s = re.sub(r"[\s“”\"'‘’《》「」]", "", indicator)
    for old, new in replace:
        if old in s:
            s = s.replace(old, new)
    return same.get(s, s)


def same_indicator(a: str, b: str) -> bool:
    """Whether two indicators name the same measure (after synonyms)."""
    return canonical_indicator(a) == canonical_indicator(b)
