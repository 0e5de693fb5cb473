"""Versioned store of the series: SQLAlchemy models, Alembic migrations, the Store, diffs."""

from __future__ import annotations

import logging

from chihwatch.paths import resolve_db_url
from storage.db import make_engine, upgrade
from storage.store import IngestResult, ParseFn, Store

__all__ = ["open_store", "Store", "IngestResult"]

logging.getLogger(__name__).addHandler(logging.NullHandler())


def open_store(
    db_url: str | None = None,
    *,
    parse: ParseFn | None = None,
    parser_version: str | None = None,
    migrate: bool = True,
) -> Store:
    """Open (and on first use create or upgrade) the store at `db_url` or the default location."""
    engine = make_engine(resolve_db_url(db_url))
    try:
        if migrate:
            upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return Store(engine, parse=parse, parser_version=parser_version)
