"""A page's row as the write paths use it: read, changed in memory, written back with Core.

The ingest path (storage/ingest.py, a batch of responses at a time) and reparse change a page's
status, validators, body hashes and installment. As an ORM object that cost a select, a flush and
the unit of work's bookkeeping per page (issue 16); here a batch's pages are read in one
statement, and what changed is written back with one cached UPDATE per set of changed columns
(an executemany when several pages changed the same columns). Only changed columns are written,
as the ORM did: a concurrent writer's change to another column is not overwritten.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, insert, select, update

from storage.models import Page

__all__ = ["PageRow", "by_id", "insert_pages", "load", "save", "touch"]

_PAGES = cast(Table, Page.__table__)
# The columns a write may change (id, url and first_seen never change).
_MUTABLE = (
    "last_fetched",
    "status",
    "etag",
    "last_modified",
    "last_blob_sha",
    "good_blob_sha",
    "good_body_hash",
    "installment_id",
)
_COLUMNS = (_PAGES.c.id, _PAGES.c.url, *(_PAGES.c[c] for c in _MUTABLE))
_BY_URLS = select(*_COLUMNS).where(_PAGES.c.url.in_(bindparam("urls", expanding=True)))
_BY_ID = select(*_COLUMNS).where(_PAGES.c.id == bindparam("pid"))
# SET columns come from the parameters' keys (compiled once per set of keys, then cached).
_UPDATE = update(_PAGES).where(_PAGES.c.id == bindparam("pid"))
CHUNK = 500  # URLs per IN (...)


@dataclass(eq=False)
class PageRow:
    """One `pages` row; attributes as on storage.models.Page."""

    id: int
    url: str
    last_fetched: datetime | None = None
    status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_blob_sha: str | None = None
    good_blob_sha: str | None = None
    good_body_hash: str | None = None
    installment_id: int | None = None
    _saved: tuple[Any, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        self._saved = self._values()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, c) for c in _MUTABLE)

    def changes(self) -> dict[str, Any]:
        """Columns changed since the row was read or last saved."""
        now = zip(_MUTABLE, self._values(), self._saved, strict=True)
        return {c: v for c, v, old in now if v != old}


def _row(r: Any) -> PageRow:
    return PageRow(**r._mapping)


def load(conn: Connection, urls: Iterable[str]) -> dict[str, PageRow]:
    """url -> row, for those of `urls` the store holds (one statement per CHUNK URLs)."""
    wanted = sorted(set(urls))
    out: dict[str, PageRow] = {}
    for i in range(0, len(wanted), CHUNK):
        for r in conn.execute(_BY_URLS, {"urls": wanted[i : i + CHUNK]}):
            out[r.url] = _row(r)
    return out


def by_id(conn: Connection, page_id: int) -> PageRow | None:
    r = conn.execute(_BY_ID, {"pid": page_id}).first()
    return None if r is None else _row(r)


def insert_pages(conn: Connection, new: Mapping[str, datetime]) -> dict[str, PageRow]:
    """New pages (url -> first seen; nothing else known about them yet): one multi-row INSERT
    per CHUNK."""
    out: dict[str, PageRow] = {}
    urls = list(new)
    for i in range(0, len(urls), CHUNK):
        values = [{"url": u, "first_seen": new[u]} for u in urls[i : i + CHUNK]]
        for pid, url in conn.execute(
            insert(_PAGES).values(values).returning(_PAGES.c.id, _PAGES.c.url)
        ):
            out[url] = PageRow(id=pid, url=url)
    return out


def touch(page: PageRow, at: datetime, status: int) -> None:
    """A response at `at`: the page says when it was last fetched and how that went, never moved
    back by an older answer."""
    if page.last_fetched is None or at >= page.last_fetched:
        page.last_fetched = at
        page.status = status


def save(conn: Connection, rows: Sequence[PageRow]) -> None:
    """Write back what changed in `rows`: one executemany per set of changed columns."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        changed = row.changes()
        if changed:
            groups.setdefault(tuple(changed), []).append({"pid": row.id, **changed})
            row._saved = row._values()
    for params in groups.values():
        conn.execute(_UPDATE, params)
