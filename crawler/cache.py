"""The list-page HTTP cache on the local disk, with its failures named as the local disk's.

Scrapy's FilesystemCacheStorage raises OSError when the cache directory is full or read-only; the
download then fails like a network error ("could not reach 127.0.0.1: OSError ..."), which is
wrong twice: the site was reached, and the fix is on this machine. Here a cache that cannot be
written is skipped (the list page is still read and its links followed; a partly written entry
is removed so it is never served), an entry that cannot be read is a cache miss (and removed),
and each failure is recorded in the crawl's Problems: the crawl then fails with an OutputError
naming the cache directory (crawler/outcome.py).
"""

from __future__ import annotations

import logging
import pickle
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.extensions.httpcache import FilesystemCacheStorage

from crawler.outcome import problems_for

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.http import Request, Response

__all__ = ["CheckedFilesystemCacheStorage"]

log = logging.getLogger(__name__)

# What a damaged cache entry raises while being read (gzip, pickle, repr of the metadata).
_READ_ERRORS = (OSError, EOFError, pickle.UnpicklingError, ValueError, SyntaxError, KeyError)


class CheckedFilesystemCacheStorage(FilesystemCacheStorage):
    """FilesystemCacheStorage whose disk failures are recorded, never mistaken for the network's."""

    def open_spider(self, spider: Spider) -> None:
        super().open_spider(spider)
        self._problems = problems_for(spider.crawler)
        self._problems.cache_dir = self.cachedir

    def retrieve_response(self, spider: Spider, request: Request) -> Response | None:
        try:
            return super().retrieve_response(spider, request)
        except _READ_ERRORS as exc:
            self._failed("reading", spider, request, exc)
            return None

    def store_response(self, spider: Spider, request: Request, response: Response) -> None:
        try:
            super().store_response(spider, request, response)
        except OSError as exc:
            self._failed("writing", spider, request, exc)

    def _failed(self, doing: str, spider: Spider, request: Request, exc: BaseException) -> None:
        log.warning("HTTP cache: %s %s failed: %s", doing, request.url, exc)
        self._problems.cache_failed(f"{doing} {request.url}", exc)
        path = Path(self._get_request_path(spider, request))
        shutil.rmtree(path, ignore_errors=True)  # never serve a half-written entry later
