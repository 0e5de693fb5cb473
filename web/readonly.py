"""Open the store read-only: SQLite through a `mode=ro` URI, PostgreSQL with read-only sessions.

The web app never migrates, never creates a database file and cannot write even by mistake: an
attempted write fails in the database itself ("attempt to write a readonly database" / "cannot
execute ... in a read-only transaction").
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

import sqlalchemy.exc as sa_exc
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from chihwatch.errors import DatabaseError, SchemaTooNew
from chihwatch.paths import resolve_db_url
from storage.db import current_revision, head_revision, safe_url, translate_error
from storage.store import Store

__all__ = ["open_readonly", "readonly_engine"]


def readonly_engine(db_url: str | None) -> Engine:
    """An engine that can only read `db_url` (resolved like every command's --db)."""
    url = resolve_db_url(db_url)
    try:
        parsed = make_url(url)
    except sa_exc.ArgumentError as exc:
        raise DatabaseError(f"not a database URL: {safe_url(url)}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        db = parsed.database
        if not db or db == ":memory:":
            raise DatabaseError("chihwatch serve needs a database file, not an in-memory database")
        path = Path(db).expanduser().resolve()
        if not path.is_file():
            raise DatabaseError(
                f"no database at {path}: nothing to serve (run `chihwatch crawl` or "
                "`chihwatch demo` first)"
            )
        uri = f"file:{quote(str(path))}?mode=ro"

        def connect() -> sqlite3.Connection:
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=30)
            conn.execute("PRAGMA query_only = ON")
            return conn

        engine = create_engine("sqlite+pysqlite://", creator=connect)
    elif backend == "postgresql":
        engine = create_engine(
            parsed,
            pool_pre_ping=True,
            connect_args={
                "connect_timeout": 10,
                "options": "-c default_transaction_read_only=on",
            },
        )
    else:
        raise DatabaseError(f"unsupported database URL {safe_url(url)}")
    return engine


def open_readonly(db_url: str | None) -> Store:
    """A Store over a read-only engine, after checking the schema is the one this code knows."""
    engine = readonly_engine(db_url)
    try:
        have = current_revision(engine)
    except sa_exc.SQLAlchemyError as exc:
        engine.dispose()
        raise translate_error(exc, engine.url) from exc
    head = head_revision()
    if have != head:
        engine.dispose()
        where = safe_url(engine.url) if engine.dialect.name != "sqlite" else resolve_db_url(db_url)
        if have is None:
            raise DatabaseError(f"{where} is not a chihwatch store (no schema): nothing to serve")
        try:
            from alembic.script import ScriptDirectory

            from storage.db import _alembic_config  # the migrations this code ships

            known = ScriptDirectory.from_config(_alembic_config()).get_revision(have)
        except Exception:
            known = None
        if known is None:
            raise SchemaTooNew(
                f"database {where} has schema {have}, newer than this chihwatch (knows up to "
                f"{head}): upgrade chihwatch"
            )
        raise DatabaseError(
            f"database {where} has schema {have}, older than {head}: run `chihwatch db upgrade` "
            "(serve opens the store read-only and never migrates it)"
        )
    return Store(engine)
