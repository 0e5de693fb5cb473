"""The series spider: list pages -> series links -> article pages; known articles re-checked
when the revisit policy says they are due (storage/crawler_reads.py `revisit_plan`).

It only finds and fetches: article bodies go raw to the pipeline (StorePipeline), which hands them
to the store and the parser. It never parses an article.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from crawler.counts import count
from crawler.items import ListPageItem, PageItem
from crawler.links import DEFAULT_START_URLS, Scope, is_article_url, pagination_links, series_links
from crawler.outcome import problems_for
from crawler.storeaccess import store_for

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

__all__ = ["SeriesSpider"]

log = logging.getLogger(__name__)

# Article responses the spider wants to see itself (to record them) rather than have Scrapy drop.
# 3xx are left to the redirect middleware.
ARTICLE_STATUSES = [304, *range(400, 600)]


def _headers(response: Response) -> dict[str, str]:
    return {
        k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()
    }


class SeriesSpider(scrapy.Spider):
    """Finds every installment of 国家高新区密集部署 YYYY年这样干 and fetches it."""

    name = "series"

    def __init__(
        self,
        start_urls: Iterable[str] | None = None,
        max_list_pages: int = 20,
        recheck_known: bool = True,
        revisit_after: float = 0.0,
        revisit_fresh: float = 30 * 86400.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.start_urls = list(start_urls or DEFAULT_START_URLS)
        self.scope = Scope.from_urls(self.start_urls)
        self.max_list_pages = max_list_pages
        self.recheck_known = recheck_known
        self.revisit_after = timedelta(seconds=max(0.0, revisit_after))
        self.revisit_fresh = timedelta(seconds=max(0.0, revisit_fresh))
        # Known pages this crawl leaves for a later one; list links to them are not followed.
        self.not_due: frozenset[str] = frozenset()
        self._list_pages: dict[str, int] = defaultdict(int)  # start URL -> list pages scheduled
        self._seen_lists: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        settings = crawler.settings
        kwargs.setdefault("start_urls", settings.getlist("CHIHWATCH_START_URLS") or None)
        kwargs.setdefault("max_list_pages", settings.getint("CHIHWATCH_MAX_LIST_PAGES", 20))
        kwargs.setdefault("recheck_known", settings.getbool("CHIHWATCH_RECHECK_KNOWN", True))
        kwargs.setdefault("revisit_after", settings.getfloat("CHIHWATCH_REVISIT_AFTER", 0.0))
        kwargs.setdefault(
            "revisit_fresh", settings.getfloat("CHIHWATCH_REVISIT_FRESH", 30 * 86400.0)
        )
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.clock_offset = timedelta(seconds=settings.getfloat("CHIHWATCH_CLOCK_OFFSET", 0.0))
        return spider

    clock_offset = timedelta(0)

    def _now(self) -> datetime:
        """The fetch time to record: now, shifted by CHIHWATCH_CLOCK_OFFSET (the demo's weeks)."""
        return datetime.now(UTC) + self.clock_offset

    # -- requests -----------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        for url in self.start_urls:
            if not self.scope.allows(url):
                log.warning("start URL not http(s), skipped: %s", url)
                continue
            if is_article_url(url):
                yield self.article_request(url)
            else:
                yield self.list_request(url, origin=url)
        if self.recheck_known:
            try:
                plan = store_for(self.crawler).revisit_plan(
                    self._now(), self.revisit_after, self.revisit_fresh
                )
            except Exception as exc:  # noqa: BLE001 - the lists are still read; the crawl fails
                problems_for(self.crawler).store_failed("listing known pages", exc)
                known = []
            else:
                known = [u for u in plan.due if self.scope.allows(u)]
                self.not_due = frozenset(u for u in plan.not_due if self.scope.allows(u))
            if self.not_due and self.crawler.stats is not None:
                count(self.crawler.stats, "not_due", len(self.not_due))
            log.info(
                "re-checking %d known article pages (%d not due: checked in the last %s)",
                len(known),
                len(self.not_due),
                self.revisit_after,
            )
            for url in known:
                # Lower priority: new links from the lists first.
                yield self.article_request(url, priority=-1)

    def list_request(self, url: str, origin: str) -> Request | None:
        if url in self._seen_lists or self._list_pages[origin] >= self.max_list_pages:
            return None
        self._seen_lists.add(url)
        self._list_pages[origin] += 1
        return Request(
            url,
            callback=self.parse_list,
            errback=self.list_failed,
            priority=10,
            meta={"chihwatch_kind": "list", "chihwatch_origin": origin},
        )

    def article_request(
        self, url: str, series: tuple[int, int | None] | None = None, priority: int = 0
    ) -> Request:
        return Request(
            url,
            callback=self.parse_article,
            errback=self.article_failed,
            priority=priority,
            meta={
                "chihwatch_kind": "article",
                "chihwatch_series": series,
                "dont_cache": True,
                "handle_httpstatus_list": ARTICLE_STATUSES,
            },
        )

    # -- callbacks ----------------------------------------------------------------------------

    def parse_list(self, response: Response) -> Iterable[Any]:
        """Series links and the next list pages; nothing else on the page is followed."""
        origin = response.meta["chihwatch_origin"]
        text = response.text if hasattr(response, "text") else ""
        links = list(series_links(text, response.url))
        for link in links:
            if link.url in self.not_due:
                continue  # known, checked lately, counted in not_due
            if self.scope.allows(link.url):
                yield self.article_request(link.url, series=(link.year, link.number))
            else:
                log.info("series link out of scope, not followed: %s", link.url)
        for url in pagination_links(text, response.url):
            if self.scope.allows(url):
                req = self.list_request(url, origin)
                if req is not None:
                    yield req
        yield ListPageItem(
            url=response.url,
            status=response.status,
            series_links=len(links),
            cached="cached" in response.flags,
        )

    def parse_article(self, response: Response) -> Iterable[Any]:
        """The raw response, as it is, for the store."""
        redirects = response.meta.get("redirect_urls") or []
        yield PageItem(
            url=response.url,
            status=response.status,
            headers=_headers(response),
            body=response.body if response.status != 304 else None,
            fetched_at=self._now(),
            request_url=redirects[0] if redirects else None,
            series=response.meta.get("chihwatch_series"),
            flags=list(response.flags),
        )

    def article_failed(self, failure: Failure) -> Iterable[Any]:
        """A fetch that produced no response the spider sees: recorded on the URL asked for."""
        request = failure.request  # type: ignore[attr-defined]
        redirects = request.meta.get("redirect_urls") or []
        if self._decision(failure) and not (redirects and not self.scope.allows(request.url)):
            return
        response = getattr(failure.value, "response", None)
        status, error = 0, _describe(failure, request)
        if response is not None and 300 <= response.status < 400:
            # A redirect the redirect middleware would not follow (to file://, ftp:, ...).
            location = response.headers.get(b"Location", b"").decode("latin-1")
            status, error = response.status, f"redirect not followed: {location}"
        yield PageItem(
            url=redirects[0] if redirects else request.url,
            status=status,
            headers={},
            body=None,
            fetched_at=self._now(),
            error=error,
            series=request.meta.get("chihwatch_series"),
        )

    def list_failed(self, failure: Failure) -> Iterable[Any]:
        request = failure.request  # type: ignore[attr-defined]
        if self._decision(failure):
            return
        response = getattr(failure.value, "response", None)
        yield ListPageItem(
            url=request.url,
            status=getattr(response, "status", 0),
            error=_describe(failure, request),
        )

    @staticmethod
    def _decision(failure: Failure) -> bool:
        """Dropped on purpose (robots.txt, out of scope): not an error of the site."""
        from scrapy.exceptions import IgnoreRequest
        from scrapy.spidermiddlewares.httperror import HttpError

        if failure.check(HttpError) or not failure.check(IgnoreRequest):
            return False
        text = str(failure.value)
        return text.startswith(("Forbidden by robots.txt", "out of scope"))

    def note_offsite_redirect(self, request: Request) -> None:
        """Called by ScopeMiddleware when a redirect leads out of scope."""
        log.warning(
            "redirect out of scope dropped: %s -> %s",
            (request.meta.get("redirect_urls") or ["?"])[0],
            request.url,
        )


def _describe(failure: Failure, request: Request) -> str:
    from scrapy.exceptions import IgnoreRequest
    from scrapy.spidermiddlewares.httperror import HttpError

    if failure.check(HttpError):
        return f"HTTP {failure.value.response.status}"
    value = failure.value
    text = " ".join(str(value).split())
    if str(value).startswith("out of scope"):
        return f"redirect out of scope: {request.url}"
    if failure.check(IgnoreRequest):
        # Dropped by a middleware: max size, decompression bomb, redirect loop, non-http redirect.
        return f"dropped: {text}" if text else "dropped by the crawler"
    return f"{type(value).__name__}: {text}" if text else type(value).__name__
