"""A crawl's outcome, computed from what it read and stored: it never says "ok" for a crawl that did
nothing or could not store (issue 10 §2).

During the crawl, the parts that can fail without an HTTP error record what went wrong in the
crawl's `Problems` (`problems_for(crawler)`): the store (StorePipeline, the conditional-request
middleware, the known-URL query), the HTTP cache on the local disk (crawler/cache.py), robots.txt
(crawler/robots.py), and Scrapy itself when it stopped before sending a request (crawler/run.py).
After the crawl `judge()` turns them into one error with one line naming the cause, or returns:

| cause | error (exit code) |
|---|---|
| Scrapy stopped before any request (a bad `[crawl.settings]` value), or no request at all | ConfigError (9) |
| any page or query the store could not take (read-only file, disk full, corrupt, server gone) | DatabaseError (5) |
| the HTTP cache directory could not be written or read (full, read-only) | OutputError (3) |
| robots.txt unreachable (5xx, timeout): RFC 9309 says disallow all | NetworkError (7) |
| no answer from the site at all | NetworkError (7) |
| no list page read (robots.txt forbids the start pages, every list page failed) | CrawlFailed (10) |

Causes are checked in that order; the message names the first and counts the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chihwatch.errors import (
    ChihwatchError,
    ConfigError,
    CrawlFailed,
    DatabaseError,
    NetworkError,
    OutputError,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from scrapy.crawler import Crawler

    from crawler.counts import CrawlSummary

__all__ = ["Problems", "problems_for", "judge"]


@dataclass
class Problems:
    """What went wrong in one crawl outside HTTP answers (one per crawler)."""

    start_error: str | None = None  # Scrapy failed before it could send a request
    store_failures: int = 0
    store_first: str | None = None
    cache_failures: int = 0
    cache_first: str | None = None
    cache_dir: str | None = None
    robots_unreachable: dict[str, str] = field(default_factory=dict)  # netloc -> cause
    robots_forbidden: list[str] = field(default_factory=list)  # URLs robots.txt forbade
    crawl_delays: dict[str, float] = field(default_factory=dict)  # netloc -> delay applied

    def store_failed(self, what: str, exc: BaseException) -> None:
        self.store_failures += 1
        if self.store_first is None:
            self.store_first = f"{what}: {_one_line(exc)}"

    def cache_failed(self, what: str, exc: BaseException) -> None:
        self.cache_failures += 1
        if self.cache_first is None:
            self.cache_first = f"{what}: {_one_line(exc)}"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if isinstance(exc, ChihwatchError):
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def problems_for(crawler: Crawler) -> Problems:
    """The crawl's Problems (created on first use)."""
    problems = getattr(crawler, "chihwatch_problems", None)
    if problems is None:
        problems = Problems()
        crawler.chihwatch_problems = problems  # type: ignore[attr-defined]
    return problems


def judge(
    summary: CrawlSummary,
    problems: Problems,
    *,
    list_starts: int,
    responses: int,
    network_errors: int,
    hosts: Sequence[str],
    first_error: str | None,
    starts: Sequence[str] = (),
) -> None:
    """Raise the error that says why this crawl failed; return if it did its job.

    `list_starts`: start URLs that are list pages; `responses`: HTTP answers of any status to
    list and article requests; `network_errors`: requests that got no answer.
    """
    causes: list[ChihwatchError] = []
    if problems.start_error is not None:
        causes.append(
            ConfigError(
                f"crawl stopped before sending a request: {problems.start_error} "
                "(check the crawl settings)"
            )
        )
    elif summary.requests == 0:
        causes.append(ConfigError("crawl sent no request (no start URL could be fetched)"))
    if problems.store_failures:
        pages = summary.fetched + summary.not_modified + summary.errors
        causes.append(
            DatabaseError(
                f"crawl failed: {problems.store_failures} store operation(s) failed "
                f"({pages} pages answered): {problems.store_first}"
            )
        )
    if problems.cache_failures:
        causes.append(
            OutputError(
                f"crawl failed: local disk: the HTTP cache {problems.cache_dir or ''} could not "
                f"be used ({problems.cache_failures} time(s)): {problems.cache_first}"
            )
        )
    causes += _unreachable(problems, responses, network_errors, hosts, first_error)
    # Consequences of a cause above are not causes of their own.
    explained = bool(problems.start_error or problems.robots_unreachable or summary.requests == 0)
    if not explained:
        causes += _nothing_read(summary, problems, list_starts, responses, first_error, starts)
    if not causes:
        return
    first = causes[0]
    more = len(causes) - 1
    if more:
        raise type(first)(
            f"{first}; and {more} more problem(s): "
            + "; ".join(str(c).removeprefix("crawl failed: ") for c in causes[1:])
        )
    raise first


def _unreachable(
    problems: Problems,
    responses: int,
    network_errors: int,
    hosts: Sequence[str],
    first_error: str | None,
) -> list[ChihwatchError]:
    """The site, or its robots.txt, did not answer."""
    causes: list[ChihwatchError] = []
    for netloc, cause in sorted(problems.robots_unreachable.items()):
        if not cause.startswith("HTTP ") and responses == 0:
            # No answer at all, robots.txt being the first request: the site is unreachable.
            causes.append(
                NetworkError(
                    f"could not reach {netloc}: {cause} (robots.txt unreachable: nothing fetched)"
                )
            )
            continue
        causes.append(
            NetworkError(
                f"crawl failed: robots.txt of {netloc} unreachable ({cause}): nothing fetched "
                "from it (RFC 9309: unreachable robots.txt means disallow all)"
            )
        )
    if responses == 0 and network_errors and not problems.robots_unreachable:
        first = (first_error or "no response").split(": ", 1)[-1]
        causes.append(NetworkError(f"could not reach {', '.join(hosts) or 'the site'}: {first}"))
    return causes


def _nothing_read(
    summary: CrawlSummary,
    problems: Problems,
    list_starts: int,
    responses: int,
    first_error: str | None,
    starts: Sequence[str],
) -> list[ChihwatchError]:
    """No list page read (or, for article start URLs, robots.txt forbade them all)."""
    forbidden = [
        u for u in starts if u in set(problems.robots_forbidden)
    ] or problems.robots_forbidden
    shown = ", ".join(forbidden[:3])
    if list_starts and summary.list_pages == 0:
        if forbidden:
            return [
                CrawlFailed(
                    f"crawl failed: robots.txt forbids the start pages ({shown}): 0 list pages read"
                )
            ]
        why = f": {first_error}" if first_error else ""
        return [CrawlFailed(f"crawl failed: 0 list pages read{why}")]
    if not list_starts and forbidden and not responses:
        return [CrawlFailed(f"crawl failed: robots.txt forbids the start pages ({shown})")]
    return []
