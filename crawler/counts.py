"""What one crawl counts, defined once: the CrawlSummary fields, kept in Scrapy's stats while the
crawl runs.

The pipeline adds to Scrapy's stats collector (`crawler.stats`) under `chihwatch/<name>`, beside
Scrapy's own `downloader/...` figures; after the crawl `summary_from_stats` reads them all back into
the CrawlSummary that `chihwatch crawl` prints and the daemon records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Protocol

__all__ = [
    "CrawlSummary",
    "COUNTS",
    "SHOWN",
    "PROBES",
    "Stats",
    "count",
    "counted",
    "note_error",
    "note_change",
    "summary_from_stats",
]

PREFIX = "chihwatch/"
MAX_MESSAGES = 50
# Counted in the stats only, to judge the outcome (crawler/outcome.py), never shown: any HTTP
# answer at all (to tell "site unreachable" from "site broken"), and requests that got none.
PROBES = ("responses", "network_errors")


def _count() -> Any:
    return field(default=0, metadata={"count": True})


@dataclass
class CrawlSummary:
    """What one crawl did (printed by `chihwatch crawl`, logged by the daemon)."""

    fetched: int = _count()  # article pages fetched with a body (200)
    not_modified: int = _count()  # article pages answered 304
    new_installments: int = _count()
    new_revisions: int = _count()  # revisions of installments already known
    suspects: int = _count()
    errors: int = _count()
    error_messages: list[str] = field(default_factory=list)
    seconds: float = 0.0
    requests: int = 0  # HTTP requests sent, robots.txt and list pages included
    list_pages: int = _count()
    list_not_modified: int = _count()
    not_due: int = _count()  # known article pages not asked for (revisit policy: checked lately)
    bytes_received: int = 0
    changes: list[dict[str, Any]] = field(default_factory=list)  # [{url, year, installment, event}]
    peak_rss_kb: int = 0  # of the process that crawled

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CrawlSummary:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


# The pipeline's counts, in the summary's order.
COUNTS = tuple(f.name for f in fields(CrawlSummary) if f.metadata.get("count"))
# The ones a crawl's one line shows (the daemon's log, `chihwatch status`): with the pages the
# revisit policy left, so that "fetched=0 not_modified=0" is not read as "nothing checked".
SHOWN = (*COUNTS[:6], "not_due")


class Stats(Protocol):
    """The part of Scrapy's StatsCollector the counts use."""

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None: ...

    def get_value(self, key: str, default: Any = None) -> Any: ...

    def set_value(self, key: str, value: Any) -> None: ...


def count(stats: Stats, name: str, n: int = 1) -> None:
    """Add `n` to one of the COUNTS or PROBES."""
    if name not in COUNTS and name not in PROBES:
        raise KeyError(f"not a crawl count: {name}")
    stats.inc_value(PREFIX + name, n)


def counted(stats: Stats, name: str) -> int:
    """One count so far."""
    return int(stats.get_value(PREFIX + name, 0))


def _listed(stats: Stats, name: str) -> list[Any]:
    found = stats.get_value(PREFIX + name)
    if found is None:
        found = []
        stats.set_value(PREFIX + name, found)
    return found


def note_error(stats: Stats, message: str) -> None:
    """One more error; the first MAX_MESSAGES are kept word for word."""
    count(stats, "errors")
    messages = _listed(stats, "error_messages")
    if len(messages) < MAX_MESSAGES:
        messages.append(message)


def note_change(stats: Stats, change: dict[str, Any]) -> None:
    """An installment that is new, revised or suspect, for the summary's `changes`."""
    _listed(stats, "changes").append(change)


def summary_from_stats(stats: Stats, **figures: Any) -> CrawlSummary:
    """The CrawlSummary of a finished crawl: the counts, plus Scrapy's own request figures."""
    summary = CrawlSummary(
        requests=int(stats.get_value("downloader/request_count", 0)),
        bytes_received=int(stats.get_value("downloader/response_bytes", 0)),
        **figures,
    )
    for name in COUNTS:
        setattr(summary, name, counted(stats, name))
    summary.error_messages = list(_listed(stats, "error_messages"))
    summary.changes = list(_listed(stats, "changes"))
    return summary
