"""List pages' HTTP cache: a 304 that changes nothing does not rewrite the cached copy.

Scrapy's HttpCacheMiddleware freshens the stored response with the 304's headers and writes the
whole gzip entry again (body included) on every revalidation. Our policy revalidates every list
page on every crawl (crawler.middlewares.AlwaysRevalidatePolicy), so an unchanged site would
rewrite every list page's cache entry each time. Here a 304 whose validators (ETag,
Last-Modified) are those of the cached copy leaves the entry as it is; a 304 with new validators
is stored as Scrapy does, so the next request asks with what the server last said.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.downloadermiddlewares.httpcache import HttpCacheMiddleware
from scrapy.http import Response

__all__ = ["RevalidatingCacheMiddleware"]

VALIDATORS = (b"ETag", b"Last-Modified")


class RevalidatingCacheMiddleware(HttpCacheMiddleware):
    def process_response(
        self, request: Request, response: Response, spider: object | None = None
    ) -> Request | Response:
        cached = request.meta.get("cached_response")
        if (
            cached is not None
            and response.status == 304
            and not request.meta.get("dont_cache", False)
            and "cached" not in response.flags
            and all(
                response.headers.get(name) in (None, cached.headers.get(name))
                for name in VALIDATORS
            )
        ):
            request.meta.pop("cached_response", None)
            self.stats.inc_value("httpcache/revalidate")
            self.stats.inc_value("chihwatch/httpcache_kept")
            return cached
        return super().process_response(request, response)
