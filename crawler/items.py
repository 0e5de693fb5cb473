"""Items the spider yields: a fetched page (raw, for the store) and a list-page outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["PageItem", "ListPageItem"]


@dataclass
class PageItem:
    """One article fetch, raw: what the store records (and parses) as it is."""

    url: str  # final URL (after redirects)
    status: int  # HTTP status; 0 when no response came back
    headers: dict[str, str]
    body: bytes | None
    fetched_at: datetime
    request_url: str | None = None  # the URL asked for, when a redirect led elsewhere
    error: str | None = None  # network failure or dropped response
    series: tuple[int, int | None] | None = None  # (year, number) from the link title, if any
    flags: list[str] = field(default_factory=list)


@dataclass
class ListPageItem:
    """A list page read (or failed): counted in the summary, not stored as an article."""

    url: str
    status: int
    series_links: int = 0
    cached: bool = False  # answered 304: links read from the cached copy
    error: str | None = None
