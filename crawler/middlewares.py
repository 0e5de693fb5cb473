"""Downloader middlewares: crawl scope, retry backoff, conditional requests, list-page revalidation."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.extensions.httpcache import RFC2616Policy
from scrapy.http import Response

from crawler.links import Scope
from crawler.outcome import problems_for
from crawler.storeaccess import validators_for

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

__all__ = [
    "ScopeMiddleware",
    "RedirectLoopMiddleware",
    "BackoffRetryMiddleware",
    "ConditionalRequestMiddleware",
    "AlwaysRevalidatePolicy",
]

log = logging.getLogger(__name__)


class ScopeMiddleware:
    """Drops every request outside the crawl's scope: other hosts, non-http(s) schemes.

    Redirects come back through process_request as new requests, so a redirect offsite (or to
    file://, ftp:// ...) is dropped here too, before anything is sent.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def _scope(self) -> Scope | None:
        spider = self.crawler.spider
        return getattr(spider, "scope", None)

    def process_request(self, request: Request) -> None:
        scope = self._scope()
        if scope is None:
            return None
        if not scope.allows(request.url):
            redirected = bool(request.meta.get("redirect_urls"))
            self.stats.inc_value("chihwatch/offsite_dropped")
            log.info(
                "out of scope%s, not fetched: %s", " (redirect)" if redirected else "", request.url
            )
            if redirected:
                # The page that redirected us offsite is recorded as such, never fetched.
                spider_obj = self.crawler.spider
                note = getattr(spider_obj, "note_offsite_redirect", None)
                if callable(note):
                    note(request)
            raise IgnoreRequest(f"out of scope: {request.url}")
        return None


class RedirectLoopMiddleware:
    """A redirect back to a URL of its own chain is a loop: dropped with a reason, not silently.

    (Scrapy's duplicate filter would drop the looping request without telling the spider.)
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls()

    def process_response(self, request: Request, response: Response) -> Response:
        if 300 <= response.status < 400 and b"Location" in response.headers:
            location = response.headers[b"Location"].decode("latin-1")
            target = urljoin(request.url, location)
            chain = [*request.meta.get("redirect_urls", ()), request.url]
            if target in chain:
                raise IgnoreRequest(f"redirect loop: {' -> '.join([*chain, target])}")
        return response


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry (5xx, timeouts, connection errors) with an exponential delay before each retry."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff = settings.getfloat("CHIHWATCH_RETRY_BACKOFF", 2.0)
        self.backoff_max = settings.getfloat("CHIHWATCH_RETRY_BACKOFF_MAX", 60.0)

    def _retry(self, request: Request, reason: Any, *args: Any, **kwargs: Any) -> Request | None:
        new = super()._retry(request, reason, *args, **kwargs)
        if new is not None:
            times = new.meta.get("retry_times", 1)
            new.meta["chihwatch_retry_delay"] = min(
                self.backoff * 2 ** (times - 1), self.backoff_max
            )
            new.meta["chihwatch_retry_reason"] = str(reason)
        return new

    async def process_request(self, request: Request) -> None:
        delay = request.meta.pop("chihwatch_retry_delay", 0)
        if delay > 0:
            log.info(
                "retry %s of %s in %.1fs (%s)",
                request.meta.get("retry_times"),
                request.url,
                delay,
                request.meta.get("chihwatch_retry_reason"),
            )
            await asyncio.sleep(delay)
        return None


class ConditionalRequestMiddleware:
    """Articles already in the store are asked for with If-None-Match / If-Modified-Since.

    The validators come from the store for exactly this URL: a redirected request (new URL) never
    carries the validators of the URL that redirected, so a 304 always refers to a page we hold.
    They are read once per crawl, for every page at once (crawler.storeaccess.validators_for).
    """

    HEADERS = (b"If-None-Match", b"If-Modified-Since")

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.get("CHIHWATCH_DB_URL"):
            raise NotConfigured("no CHIHWATCH_DB_URL")
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if request.meta.get("chihwatch_kind") != "article":
            return None
        for name in self.HEADERS:
            request.headers.pop(name, None)
        try:
            validators = validators_for(self.crawler).get(request.url, {})
        except Exception as exc:  # noqa: BLE001 - the store is broken: fetch in full, fail at the end
            problems_for(self.crawler).store_failed(f"validators of {request.url}", exc)
            validators = {}
        for name, value in validators.items():
            request.headers[name] = value
        return None


class AlwaysRevalidatePolicy(RFC2616Policy):
    """HTTP cache policy for list pages: keep the last copy, but always revalidate it with the site.

    RFC 2616's heuristic freshness would serve a list page from cache for hours or days and miss a
    new installment; a conditional request costs a 304 when nothing changed.
    """

    def should_cache_response(self, response: Response, request: Request) -> bool:
        return response.status == 200 and super().should_cache_response(response, request)

    def is_cached_response_fresh(self, cachedresponse: Response, request: Request) -> bool:
        self._set_conditional_validators(request, cachedresponse)
        return False
