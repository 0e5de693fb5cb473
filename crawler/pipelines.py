"""Item pipeline: every fetched article goes raw into the store, which parses it into a revision.

Article pages are written in batches (Store.record_responses: one transaction per batch of at most
CHIHWATCH_NOT_MODIFIED_BATCH answers, of which at most CHIHWATCH_PAGE_BATCH with a body, or of
whatever waited CHIHWATCH_NOT_MODIFIED_WAIT seconds, and the rest when the spider closes); a batch
that fails is written again page by page, so one bad page costs only itself.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from crawler.counts import count, counted, note_change, note_error
from crawler.items import ListPageItem, PageItem
from crawler.outcome import problems_for
from crawler.storeaccess import close_store, store_for
from storage.batch_ingest import Response

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

__all__ = ["StorePipeline"]

log = logging.getLogger(__name__)
progress = logging.getLogger("crawler.progress")


class StorePipeline:
    """Records PageItems in batches (Store.record_responses); a failure is counted and the crawl
    goes on.

    The counts go to Scrapy's stats collector (crawler/counts.py), where crawler.run reads them.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        assert crawler.stats is not None  # created with the crawler, before any pipeline
        self.stats = crawler.stats
        self.every = crawler.settings.getint("CHIHWATCH_PROGRESS_EVERY", 1)
        settings = crawler.settings
        self.batch = max(1, settings.getint("CHIHWATCH_NOT_MODIFIED_BATCH", 200))
        self.bodies = max(1, settings.getint("CHIHWATCH_PAGE_BATCH", 50))
        self.wait = settings.getfloat("CHIHWATCH_NOT_MODIFIED_WAIT", 2.0)
        self.pending: list[PageItem] = []  # pages not recorded yet
        self.pending_bodies = 0  # how many of them carry a body
        self.pending_since = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self) -> None:
        store_for(
            self.crawler
        )  # fail early (bad URL, schema too new) rather than on the first page

    def close_spider(self) -> None:
        try:
            self._flush()
        finally:
            close_store(self.crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ListPageItem):
            self._list_page(item)
        elif isinstance(item, PageItem):
            self._page(item)
        return item

    def _list_page(self, item: ListPageItem) -> None:
        if item.status:
            count(self.stats, "responses")
        if item.error:
            if not item.status:
                count(self.stats, "network_errors")
            note_error(self.stats, f"list {item.url}: {item.error}")
            progress.warning("list page failed: %s (%s)", item.url, item.error)
            return
        count(self.stats, "list_pages")
        count(self.stats, "list_not_modified", int(item.cached))
        progress.info(
            "list %s %s: %d series links",
            "304" if item.cached else str(item.status),
            item.url,
            item.series_links,
        )

    def _page(self, item: PageItem) -> None:
        if item.status:
            count(self.stats, "responses")
        elif item.error:
            count(self.stats, "network_errors")
        if not self.pending:
            self.pending_since = time.monotonic()
        self.pending.append(item)
        self.pending_bodies += bool(item.body) and item.status == 200
        if (
            len(self.pending) >= self.batch
            or self.pending_bodies >= self.bodies
            or time.monotonic() - self.pending_since >= self.wait
        ):
            self._flush()

    def _flush(self) -> None:
        """Record the waiting pages in one transaction (one by one if the batch fails)."""
        items, self.pending, self.pending_bodies = self.pending, [], 0
        if len(items) == 1:
            self._record(items[0])
            return
        if not items:
            return
        try:
            results = store_for(self.crawler).record_responses(
                [
                    Response(
                        url=i.url,
                        status=i.status,
                        headers=i.headers,
                        body=i.body,
                        fetched_at=i.fetched_at,
                        error=i.error,
                        request_url=i.request_url,
                        link_installment=i.series,
                    )
                    for i in items
                ]
            )
        except Exception:  # the batch is rolled back whole: each page gets its own chance
            log.exception("recording %d pages at once failed", len(items))
            for item in items:
                self._record(item)
            return
        for item, result in zip(items, results, strict=True):
            self._account(item, result)

    def _record(self, item: PageItem) -> None:
        try:
            result = store_for(self.crawler).record_response(
                item.url,
                status=item.status,
                headers=item.headers,
                body=item.body,
                fetched_at=item.fetched_at,
                error=item.error,
                request_url=item.request_url,
                link_installment=item.series,
            )
        except Exception as exc:  # a page the store cannot take must not end the crawl ...
            log.exception("storing %s failed", item.url)
            note_error(self.stats, f"{item.url}: store: {type(exc).__name__}: {exc}")
            # ... but it fails it at the end (crawler/outcome.py): nothing is silently lost.
            problems_for(self.crawler).store_failed(f"storing {item.url}", exc)
            return
        self._account(item, result)

    def _account(self, item: PageItem, result: Any) -> None:
        stats = self.stats
        if item.status == 304:
            count(stats, "not_modified")
        elif item.status == 200:
            count(stats, "fetched")
        count(stats, "new_installments", int(bool(result.installment_new)))
        count(stats, "new_revisions", int(bool(result.revision_new and not result.installment_new)))
        count(stats, "suspects", int(bool(result.suspect)))
        problem = item.error or result.error
        if problem or item.status >= 400 or item.status == 0:
            note_error(stats, f"{item.url}: {problem or f'HTTP {item.status}'}")
        if result.installment_new or result.revision_new or result.suspect:
            year, number = (result.installment or (None, None, None))[1:]
            note_change(
                stats,
                {
                    "url": item.url,
                    "year": year,
                    "installment": number,
                    "event": "new"
                    if result.installment_new
                    else "suspect"
                    if result.suspect
                    else "revised",
                    "suspect": result.suspect,
                },
            )
        self._progress(item, result)

    def _progress(self, item: PageItem, result: Any) -> None:
        if self.every <= 0:
            return
        done = sum(counted(self.stats, n) for n in ("fetched", "not_modified", "errors"))
        if done % self.every:
            return
        what = (
            "new installment"
            if result.installment_new
            else "new revision"
            if result.revision_new
            else "suspect: " + result.suspect
            if result.suspect
            else "not modified"
            if item.status == 304
            else "error: " + (item.error or result.error or "")
            if (item.error or result.error)
            else "unchanged"
        )
        ref = f"{result.installment[1]}-{result.installment[2]}" if result.installment else "-"
        progress.info("%3s %-8s %-16s %s", item.status or "ERR", ref, what, item.url)
