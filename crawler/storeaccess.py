"""One Store per crawl, shared by the spider, the middlewares and the pipeline."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from storage.store import Store

__all__ = ["store_for", "attach_store", "close_store", "validators_for"]

_stores: WeakKeyDictionary[Crawler, Store] = WeakKeyDictionary()
_validators: WeakKeyDictionary[Crawler, dict[str, dict[str, str]]] = WeakKeyDictionary()
_lock = threading.Lock()


def store_for(crawler: Crawler) -> Store:
    """The crawl's Store (opened on first use from the CHIHWATCH_DB_URL setting)."""
    with _lock:
        store = _stores.get(crawler)
        if store is None:
            from storage import open_store

            store = open_store(crawler.settings.get("CHIHWATCH_DB_URL"))
            _stores[crawler] = store
        return store


def validators_for(crawler: Crawler) -> dict[str, dict[str, str]]:
    """url -> If-None-Match / If-Modified-Since of every stored page, read once per crawl.

    One query at the crawl's first article request instead of one per request (issue 16). A crawl
    asks for each URL once, so what the crawl itself stores never needs to be asked again.
    """
    store = store_for(crawler)
    with _lock:
        found = _validators.get(crawler)
        if found is None:
            found = store.validators()
            _validators[crawler] = found
        return found


def attach_store(crawler: Crawler, store: Store) -> None:
    """Use an already opened Store for this crawl (crawler.run opens it first to fail early)."""
    with _lock:
        _stores[crawler] = store


def close_store(crawler: Crawler) -> None:
    """Close the crawl's Store if it was opened."""
    with _lock:
        store = _stores.pop(crawler, None)
        _validators.pop(crawler, None)
    if store is not None:
        store.close()
