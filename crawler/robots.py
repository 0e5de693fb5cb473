"""robots.txt per RFC 9309, on Scrapy's RobotsTxtMiddleware and its Protego parser.

What Scrapy's middleware does not do, and this subclass adds:

- **Unreachable is disallow-all** (RFC 9309 §2.3.1.4): a 5xx answer (after the usual retries) or
  no answer at all (timeout, refused, DNS) makes every URL of that host forbidden for this crawl,
  and the cause is recorded so the crawl fails naming it (crawler/outcome.py). Scrapy parses the
  error page as robots.txt (allowing everything) or, on a network error, allows everything.
- **4xx is allow-all** (§2.3.1.3), whatever the error page says (Scrapy parsed its HTML).
- **Large files** (§2.5): the first `ROBOTS_PARSE_LIMIT` bytes (512 KiB; the RFC asks for at
  least 500 KiB) are read and parsed; the download stops there (Scrapy's `StopDownload`), so a
  robots.txt larger than DOWNLOAD_MAXSIZE is neither dropped (allow-all) nor read whole.
- **Crawl-delay** (not in RFC 9309, widely used): the delay robots.txt asks of our user agent
  applies to every request to that host, never below our own DOWNLOAD_DELAY and never above
  CHIHWATCH_MAX_CRAWL_DELAY (60 s: a hostile value cannot stall a crawl past its time limit).
- Forbidden URLs are recorded, so a crawl whose start pages are all forbidden says so.
- Every request that waits for robots.txt gets its parser (Scrapy 2.19 gives it to the first
  waiter only; see `robot_parser`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from crawler.outcome import problems_for

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.robotstxt import RobotParser

__all__ = ["RobotsPolicyMiddleware", "ROBOTS_PARSE_LIMIT"]

log = logging.getLogger(__name__)

ROBOTS_PARSE_LIMIT = 512 * 1024


class _DisallowAll:
    """The parser of an unreachable robots.txt."""

    def allowed(self, url: str | bytes, user_agent: str | bytes) -> bool:
        return False

    def crawl_delay(self, user_agent: str | bytes) -> float | None:
        return None


class RobotsPolicyMiddleware(RobotsTxtMiddleware):
    """RobotsTxtMiddleware with RFC 9309's unreachable/4xx/size rules and Crawl-delay."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._problems = problems_for(crawler)
        settings = crawler.settings
        self._min_delay = max(0.0, settings.getfloat("DOWNLOAD_DELAY", 0.0))
        self._max_delay = settings.getfloat("CHIHWATCH_MAX_CRAWL_DELAY", 60.0)
        self._delays: dict[str, float] = {}  # netloc -> delay to keep its slot at
        self._maxsize = settings.getint("DOWNLOAD_MAXSIZE")
        crawler.signals.connect(self._bytes_received, signal=signals.bytes_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    # -- fetching robots.txt -------------------------------------------------------------------

    async def robot_parser(self, request: Request) -> RobotParser | None:
        url = urlparse_cached(request)
        netloc = url.netloc
        if netloc not in self._parsers:
            self._parsers[netloc] = Deferred()
            robotsreq = Request(
                f"{url.scheme}://{netloc}/robots.txt",
                priority=self.DOWNLOAD_PRIORITY,
                meta={
                    "dont_obey_robotstxt": True,
                    "chihwatch_robots": True,
                    # No size cap: _bytes_received stops the download at the parse limit.
                    "download_maxsize": 0,
                },
                # Uncompressed: the byte limit is then a limit on what is parsed.
                headers={"Accept-Encoding": "identity"},
                callback=NO_CALLBACK,
            )
            try:
                resp = await self.crawler.engine.download_async(robotsreq)
                await self._parse_robots(resp, netloc, request)
            except Exception as exc:  # noqa: BLE001 - any failure is "unreachable"
                self._robots_error(exc, netloc)
            self._stats.inc_value("robotstxt/request_count")
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            # Each waiter gets its own Deferred. Awaiting the shared one (as Scrapy 2.19 does)
            # hands the parser to the first waiter only: Deferred.asFuture's callback returns
            # None, so every other request that arrived while robots.txt was downloading (the
            # known pages re-checked at the start of a crawl) saw "no robots.txt" and was sent.
            mine: Deferred[Any] = Deferred()
            parser.addBoth(lambda result: (mine.callback(result), result)[1])
            return await maybe_deferred_to_future(mine)
        return parser

    def _bytes_received(self, data: bytes, request: Request, **_kw: Any) -> None:
        if not request.meta.get("chihwatch_robots"):
            return
        # The size check against Content-Length is behind us; decompression (a server that
        # gzips anyway) is bounded as for any page.
        request.meta["download_maxsize"] = self._maxsize
        got = request.meta.get("chihwatch_robots_bytes", 0) + len(data)
        request.meta["chihwatch_robots_bytes"] = got
        if got >= ROBOTS_PARSE_LIMIT:
            raise StopDownload(fail=False)  # the response so far is what we parse

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        status = response.status
        if status >= 500:
            self._unreachable(netloc, f"HTTP {status}")
            return
        body = response.body[:ROBOTS_PARSE_LIMIT] if 200 <= status < 300 else b""
        if not (200 <= status < 300):
            # 4xx (and a redirect chain that ended elsewhere): no rules, everything allowed.
            log.info("robots.txt of %s: HTTP %d, everything allowed", netloc, status)
        if "download_stopped" in response.flags:
            log.info("robots.txt of %s: larger than %d bytes, first part parsed", netloc, len(body))
        await super()._parse_robots(response.replace(body=body), netloc, request)
        parser = self._parsers.get(netloc)
        delay = parser.crawl_delay(self._ua(request)) if parser is not None else None
        if delay:
            applied = min(max(float(delay), self._min_delay), self._max_delay)
            self._delays[netloc] = applied
            self._problems.crawl_delays[netloc] = applied
            log.info(
                "robots.txt of %s: Crawl-delay %s, waiting %.1fs per request",
                netloc,
                delay,
                applied,
            )

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if isinstance(exc, IgnoreRequest):
            # Dropped on purpose by the crawler (robots.txt redirected out of scope): RFC 9309
            # treats a redirect it cannot follow as unavailable, i.e. allow all.
            super()._robots_error(exc, netloc)
            return
        text = " ".join(str(exc).split())
        self._unreachable(netloc, f"{type(exc).__name__}: {text}" if text else type(exc).__name__)

    def _unreachable(self, netloc: str, cause: str) -> None:
        log.warning(
            "robots.txt of %s unreachable (%s): nothing will be fetched from it", netloc, cause
        )
        self._problems.robots_unreachable[netloc] = cause
        self._stats.inc_value("robotstxt/unreachable")
        dfd = self._parsers[netloc]
        self._parsers[netloc] = _DisallowAll()  # type: ignore[assignment]
        if isinstance(dfd, Deferred):
            dfd.callback(self._parsers[netloc])

    # -- applying it ---------------------------------------------------------------------------

    def _ua(self, request: Request) -> str:
        ua = self._robotstxt_useragent or request.headers.get(
            b"User-Agent", self._default_useragent
        )
        return ua.decode("latin-1") if isinstance(ua, bytes) else str(ua)

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest:
            self._problems.robots_forbidden.append(request.url)
            raise
        delay = self._delays.get(urlparse_cached(request).netloc)
        if delay:
            self._hold_slot(request, delay)

    def _hold_slot(self, request: Request, delay: float) -> None:
        """Keep the request's download slot at least `delay` apart (AutoThrottle lowers it)."""
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        if downloader is None:
            return
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is None:
            _key, slot = downloader._get_slot(request)  # noqa: SLF001 - creates it as fetch would
        if slot.delay < delay or slot.jitter:
            slot.delay = max(slot.delay, delay)
            slot.jitter = 0.0  # a ±50 % jitter would go below what the site asked for
