"""Versioned store of the series: SQLAlchemy models, Alembic migrations, the Store, diffs."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from chihwatch.lazy import lazy_attributes
from chihwatch.paths import resolve_db_url
from storage.db import make_engine, open_database
from storage.store import ParseFn, Store

if TYPE_CHECKING:
    from storage.ingest import IngestResult

__all__ = ["open_store", "Store", "IngestResult"]

# The write path loads on first use (storage/store.py).
__getattr__ = lazy_attributes(__name__, {"IngestResult": "storage.ingest"}, globals())


logging.getLogger(__name__).addHandler(logging.NullHandler())


def open_store(
    db_url: str | None = None,
    *,
    parse: ParseFn | None = None,
    parser_version: str | None = None,
    migrate: bool = True,
    create: bool = True,
    write: bool | None = None,
) -> Store:
    """Open the store at `db_url` or the default location.

    `create`: a missing or empty database is created at the code's schema (and says so on stderr);
    without it a missing database is DatabaseMissing (exit 5). A database at an older schema is
    never migrated here (SchemaTooOld, exit 5): `chihwatch db upgrade` does that (storage.db.migrate).
    `write` (default: `create`): refuse in-memory SQLite URLs, which keep nothing.
    `migrate=False` skips the schema check altogether.
    """
    url = resolve_db_url(db_url)
    if migrate:
        engine = open_database(url, create=create, write=write)
    else:
        engine = make_engine(url, create=create, write=write)
    return Store(engine, parse=parse, parser_version=parser_version)
