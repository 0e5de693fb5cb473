"""The Store: record fetched pages as versioned installments, and answer list/show/diff/report."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import sqlalchemy.exc as sa_exc
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

import parsers
from chihwatch.errors import ChihwatchError
from chihwatch.lazy import lazy_attributes
from parsers.model import Article
from storage import crawler_reads, queries
from storage.blobs import compress, decompress
from storage.common import iso as _iso
from storage.common import utc as _utc
from storage.db import current_revision, safe_url, translate_error
from storage.models import Blob, Event, Fetch, Installment, Page, Revision

if TYPE_CHECKING:
    from storage import batch_ingest
    from storage.derive import DEFAULT_SERIES
    from storage.ingest import IngestResult
    from storage.ingest_policy import SUSPECT_BODY_RATIO, SUSPECT_CONFIDENCE
    from storage.report_data import ReportData

# The write path (ingest, derive, reparse, batch_ingest: ~35 ms of imports) loads with the first
# write, and these names with their first use: a command that only reads (`chihwatch list`) never
# loads them (issue 16).
_LAZY = {
    "IngestResult": "storage.ingest",
    "DEFAULT_SERIES": "storage.derive",
    "SUSPECT_BODY_RATIO": "storage.ingest_policy",
    "SUSPECT_CONFIDENCE": "storage.ingest_policy",
}

__getattr__ = lazy_attributes(__name__, _LAZY, globals())


__all__ = [
    "Store",
    "IngestResult",
    "DEFAULT_SERIES",
    "SUSPECT_BODY_RATIO",
    "SUSPECT_CONFIDENCE",
    "compress",
    "decompress",
]

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
ParseFn = Callable[[bytes, str | None, Mapping[str, str] | None], Article]


def _db_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn SQLAlchemy/driver errors into chihwatch's one-line DatabaseError family."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except ChihwatchError:
            raise
        except sa_exc.SQLAlchemyError as exc:
            store = args[0]
            raise translate_error(exc, store.engine.url) from exc  # type: ignore[attr-defined]

    return wrapper


class Store:
    """Versioned store of the series over one database (SQLite or PostgreSQL)."""

    def __init__(
        self,
        engine: Engine,
        *,
        parse: ParseFn | None = None,
        parser_version: str | None = None,
    ) -> None:
        self.engine = engine
        # SQLite: writers lock at BEGIN (see storage.db); PostgreSQL ignores the option.
        self._write_engine = engine.execution_options(sqlite_begin="IMMEDIATE")
        # The parser loads when a page is first parsed, not when a store opens (a read-only
        # command never parses: issue 16's CLI start).
        self._parse_fn = parse
        self._parser_version = parser_version

    @property
    def _parse(self) -> ParseFn:
        if self._parse_fn is None:
            self._parse_fn = parsers.parse
        return self._parse_fn

    @property
    def parser_version(self) -> str:
        if self._parser_version is None:
            self._parser_version = str(parsers.PARSER_VERSION)
        return self._parser_version

    # -- plumbing -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return safe_url(self.engine.url)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextlib.contextmanager
    def _write(self) -> Iterator[Session]:
        """One transaction: committed on success, rolled back entirely on any exception."""
        with Session(self._write_engine, expire_on_commit=False) as session, session.begin():
            yield session

    # -- writing --------------------------------------------------------------------------------

    @_db_errors
    def record_response(
        self,
        url: str,
        *,
        status: int,
        headers: Mapping[str, str],
        body: bytes | None,
        fetched_at: datetime | None = None,
        error: str | None = None,
        request_url: str | None = None,
        link_installment: tuple[int, int | None] | None = None,
    ) -> IngestResult:
        """Store one HTTP response (one transaction; storage/ingest.py); see docs/CONTRACTS.md.

        `link_installment` is (year, number) read from the link that led to the URL, if any: an
        error page carries no installment of its own, so it names which one failed.
        """
        from storage import ingest

        return ingest.record_response(
            self,
            url,
            status=status,
            headers=headers,
            body=body,
            fetched_at=_utc(fetched_at),
            error=error,
            request_url=request_url,
            link_installment=link_installment,
        )

    # reparse maps its parses with the ingest path's own steps (storage/derive.py).

    @_db_errors
    def reparse(self) -> dict[str, int]:
        """Re-run the current parser over every page's last stored 200 body (storage/reparse.py)."""
        from storage import reparse

        return reparse.reparse(self)

    @_db_errors
    def record_responses(self, items: Sequence[batch_ingest.Response]) -> list[IngestResult]:
        """A batch of responses in one transaction (storage/ingest.py); results in item order.

        Each item writes what `record_response` writes for it; bodies are parsed before the
        transaction opens. The crawler's pipeline writes its pages this way.
        """
        from storage import ingest  # noqa: PLC0415 - the write path loads with the first write

        naive = [dataclasses.replace(it, fetched_at=_utc(it.fetched_at)) for it in items]
        return ingest.record_responses(self, naive)

    @_db_errors
    def record_not_modified(self, items: Sequence[batch_ingest.NotModified]) -> list[IngestResult]:
        """A batch of 304s in one transaction (storage/batch_ingest.py); results in item order.

        What each writes is what `record_response(status=304)` writes (a 304 for a page the store
        does not hold creates the page, in the same transaction).
        """
        from storage import ingest

        naive = [dataclasses.replace(it, fetched_at=_utc(it.fetched_at)) for it in items]
        return ingest.record_not_modified(self, naive)

    # -- reading for the crawler (storage/crawler_reads.py) -------------------------------------

    @_db_errors
    def conditional_headers(self, url: str) -> dict[str, str]:
        """If-None-Match / If-Modified-Since from the page's last 200 response."""
        with self._read() as s:
            return crawler_reads.conditional_headers(s, url)

    @_db_errors
    def validators(self) -> dict[str, dict[str, str]]:
        """`conditional_headers` of every page at once (one query; a crawl loads them once)."""
        return crawler_reads.validators(self.engine)

    @_db_errors
    def known_urls(self) -> list[str]:
        """Article pages fetched before: those mapped to an installment or that failed to parse."""
        with self._read() as s:
            return crawler_reads.known_urls(s)

    @_db_errors
    def revisit_plan(
        self, now: datetime, after: timedelta, fresh: timedelta
    ) -> crawler_reads.RevisitPlan:
        """Which known article pages a crawl at `now` asks for again (storage/crawler_reads.py)."""
        with self._read() as s:
            return crawler_reads.revisit_plan(s, now, after, fresh)

    # -- reading for people (storage/queries.py, storage/report_data.py) --------------------------

    @_db_errors
    def list_installments(self) -> list[dict[str, Any]]:
        """Every installment (the JSON of `chihwatch list --json`)."""
        with self._read() as s:
            return queries.list_installments(s)

    @_db_errors
    def show(self, ref: str | int, revision: int | None = None) -> dict[str, Any]:
        """One installment with its latest (or its `revision`-th) revision's text and zones."""
        with self._read() as s:
            return queries.show(s, ref, revision)

    @_db_errors
    def diff(
        self, ref: str | int, from_rev: int | None = None, to_rev: int | None = None
    ) -> dict[str, Any]:
        """Revision against revision of one installment (default: the last two)."""
        with self._read() as s:
            return queries.diff(s, ref, from_rev, to_rev)

    @_db_errors
    def report_data(self, since: datetime, until: datetime) -> ReportData:
        """Everything a report shows for [since, until) (docs/CONTRACTS.md)."""
        with self._read() as s:
            # Loaded here: the report's read model pulls in the figure and comparison engines,
            # which commands that only list or show never need (issue 16's CLI start).
            from storage import report_data

            return report_data.report_data(s, since, until)

    @_db_errors
    def status(self) -> dict[str, Any]:
        """Counts and the last fetch, for `chihwatch status`."""
        with self._read() as s:
            counts = {
                name: s.scalar(select(func.count()).select_from(model)) or 0
                for name, model in (
                    ("pages", Page),
                    ("fetches", Fetch),
                    ("blobs", Blob),
                    ("installments", Installment),
                    ("revisions", Revision),
                    ("suspects", Event),
                )
            }
            counts["suspects"] = (
                s.scalar(
                    select(func.count(Event.id)).where(Event.kind.in_(("suspect", "parse_error")))
                )
                or 0
            )
            last_fetch = s.scalar(select(func.max(Fetch.fetched_at)))
            last_ok = s.scalar(select(func.max(Fetch.fetched_at)).where(Fetch.status == 200))
        return {
            "database": self.url,
            "schema": current_revision(self.engine),
            **counts,
            "last_fetch": _iso(last_fetch),
            "last_successful_fetch": _iso(last_ok),
        }

    @_db_errors
    def ping(self) -> None:
        """Fail with DatabaseError unless the database answers."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
