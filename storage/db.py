"""Engine setup (SQLite pragmas, PostgreSQL), Alembic upgrade on first use, error translation."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy.exc as sa_exc
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.engine.url import URL

from chihwatch.errors import DatabaseError, DatabaseLocked, SchemaTooNew

__all__ = [
    "make_engine",
    "upgrade",
    "current_revision",
    "head_revision",
    "translate_error",
    "safe_url",
]

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Seconds a writer waits for SQLite's lock before DatabaseLocked; a crawl writes in short bursts.
DEFAULT_SQLITE_TIMEOUT = float(os.environ.get("CHIHWATCH_DB_TIMEOUT", "30"))
# Any stable 64-bit key: serialises concurrent first-use migrations on one PostgreSQL database.
_PG_MIGRATION_LOCK = 0x63686977


def safe_url(url: str | URL) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL has no password we could find either
        return str(url).split("@")[-1] if "@" in str(url) else str(url)


def translate_error(exc: BaseException, url: str | URL) -> DatabaseError:
    """Map a SQLAlchemy/driver exception to chihwatch's one-line database errors."""
    msg = " ".join(str(getattr(exc, "orig", None) or exc).split())
    if "database is locked" in msg or "database table is locked" in msg:
        return DatabaseLocked(f"database is locked by another writer: {safe_url(url)}")
    first = msg.split(" [SQL:")[0].split("(Background on this error")[0].strip()
    return DatabaseError(f"cannot use database {safe_url(url)}: {first[:300]}")


def make_engine(url: str) -> Engine:
    """An engine for `url`: SQLite gets WAL, foreign keys and a busy timeout; dirs are created."""
    try:
        parsed = make_url(url)
    except sa_exc.ArgumentError as exc:
        raise DatabaseError(f"not a database URL: {safe_url(url)}") from exc
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:" and not db.startswith("file:"):
            try:
                Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(
                    f"cannot create the directory for {db}: {exc.strerror or exc}"
                ) from exc
        connect_args: dict[str, Any] = {}
        if "timeout" not in parsed.query:
            connect_args["timeout"] = DEFAULT_SQLITE_TIMEOUT
        # We issue BEGIN ourselves (below): pysqlite's implicit transactions break locking.
        connect_args["isolation_level"] = None
        kwargs["connect_args"] = connect_args
    elif parsed.get_backend_name() == "postgresql":
        kwargs["pool_pre_ping"] = True
        kwargs["connect_args"] = {"connect_timeout": 10}
    try:
        engine = create_engine(parsed, **kwargs)
    except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError, ImportError) as exc:
        raise DatabaseError(f"unsupported database URL {safe_url(url)}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        _sqlite_setup(engine)
    return engine


def _sqlite_setup(engine: Engine) -> None:
    timeout_ms = int(float(engine.url.query.get("timeout", DEFAULT_SQLITE_TIMEOUT)) * 1000)  # type: ignore[arg-type]

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {timeout_ms}")
        cur.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode = WAL")
            # WAL + NORMAL is durable across application crashes (only power loss can lose the tail).
            cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the lock up front (BEGIN IMMEDIATE): a deferred transaction that upgrades
        # to a write in WAL mode fails at once with SQLITE_BUSY instead of waiting its turn.
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    """The newest migration this code knows."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@contextlib.contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Serialise first-use migrations between processes (daemon + crawler child)."""
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        path = Path(str(engine.url.database)).expanduser()
        with open(path.with_name(path.name + ".migrate-lock"), "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
    elif engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_MIGRATION_LOCK})
                conn.commit()
    else:
        yield


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to head; returns (before, after). Raises SchemaTooNew for unknown revisions."""
    script = ScriptDirectory.from_config(_alembic_config())
    head = script.get_current_head()
    assert head is not None
    url = engine.url
    try:
        before = current_revision(engine)
        if before == head:
            return before, head  # the common case: nothing to lock, nothing to do
        with _migration_lock(engine):
            before = current_revision(engine)
            if before is not None:
                try:
                    known = script.get_revision(before)
                except Exception:
                    known = None
                if known is None:
                    raise SchemaTooNew(
                        f"database {safe_url(url)} has schema {before}, newer than this chihwatch "
                        f"(knows up to {head}): upgrade chihwatch"
                    )
            if before != head:
                log.info("migrating %s from %s to %s", safe_url(url), before, head)
                cfg = _alembic_config()
                with engine.begin() as conn:
                    cfg.attributes["connection"] = conn
                    from alembic import command

                    command.upgrade(cfg, "head")
    except (SchemaTooNew, DatabaseError):
        raise
    except sa_exc.SQLAlchemyError as exc:
        raise translate_error(exc, url) from exc
    except OSError as exc:
        raise DatabaseError(f"cannot use database {safe_url(url)}: {exc}") from exc
    return before, head
