"""Engine setup (SQLite pragmas, PostgreSQL), schema checks and upgrades, error translation.

Opening a database never migrates it: `ensure_schema` creates the schema in a brand-new empty
database (only when the caller may create one) and otherwise checks the version with one cheap
query against alembic_version, without importing Alembic. An older schema is upgraded only by
`migrate` (`chihwatch db upgrade`): SQLite's table-rebuild procedure with foreign keys off, a
`VACUUM INTO` backup first, `PRAGMA foreign_key_check` and per-table row counts before the
commit. See docs/storage.md, "Upgrades".
"""

from __future__ import annotations

import logging
import math
import os
import re
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy.exc as sa_exc
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.pool import NullPool

from chihwatch.errors import DatabaseError, DatabaseLocked, SchemaTooNew

__all__ = [
    "make_engine",
    "check_url",
    "ensure_schema",
    "open_database",
    "migrate",
    "upgrade",
    "quick_check",
    "current_revision",
    "head_revision",
    "known_revisions",
    "translate_error",
    "safe_url",
    "DatabaseMissing",
    "SchemaTooOld",
    "Upgrade",
]

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Seconds a writer waits for SQLite's lock before DatabaseLocked; a crawl writes in short bursts.
DEFAULT_SQLITE_TIMEOUT = float(os.environ.get("CHIHWATCH_DB_TIMEOUT", "30"))
# Any stable 64-bit key: serialises concurrent schema creation/upgrades on one PostgreSQL database.
_PG_MIGRATION_LOCK = 0x63686977
BACKENDS = ("sqlite", "postgresql")


class DatabaseMissing(DatabaseError):
    """A command that only reads was pointed at a database that does not exist (or is empty)."""


class SchemaTooOld(DatabaseError):
    """The database's schema is older than the code: `chihwatch db upgrade` migrates it."""


def safe_url(url: str | URL) -> str:
    """The URL with any password hidden, for messages."""
    try:
        parsed = make_url(url)
        if parsed.password is None and isinstance(url, str):
            return url  # as the user wrote it (no %3A for :memory:, relative paths as given)
        return parsed.render_as_string(hide_password=True)
    except Exception:  # an unparsable URL has no password we could find either
        return str(url).split("@")[-1] if "@" in str(url) else str(url)


def translate_error(exc: BaseException, url: str | URL) -> DatabaseError:
    """Map a SQLAlchemy/driver exception to chihwatch's one-line database errors."""
    msg = " ".join(str(getattr(exc, "orig", None) or exc).split())
    if "database is locked" in msg or "database table is locked" in msg:
        return DatabaseLocked(f"database is locked by another writer: {safe_url(url)}")
    first = msg.split(" [SQL:")[0].split("(Background on this error")[0].strip()
    return DatabaseError(f"cannot use database {safe_url(url)}: {first[:300]}")


# -- URLs -------------------------------------------------------------------------------------------


def is_memory(url: URL) -> bool:
    """An SQLite database that lives only as long as its connection (nothing would be kept)."""
    if url.get_backend_name() != "sqlite":
        return False
    db = url.database or ""
    return db in ("", ":memory:") or "mode=memory" in db or url.query.get("mode") == "memory"


def check_url(url: str | URL, *, write: bool = False) -> URL:
    """The parsed URL, or a one-line DatabaseError (exit 5) for one chihwatch cannot use."""
    raw = str(url)
    if "\x00" in raw or "%00" in raw.lower():
        raise DatabaseError("not a database URL: it contains a NUL character (%00)")
    try:
        parsed = make_url(url)
    except (sa_exc.ArgumentError, ValueError) as exc:
        raise DatabaseError(f"not a database URL: {safe_url(raw)}") from exc
    backend = parsed.get_backend_name()
    if backend not in BACKENDS:
        raise DatabaseError(
            f"unsupported database URL {safe_url(parsed)}: chihwatch stores into SQLite "
            "(sqlite:////ABSOLUTE/PATH.db) or PostgreSQL (postgresql+psycopg://USER@HOST/DB)"
        )
    if backend == "sqlite":
        allowed = {"timeout"}
        if parsed.query.get("uri") in ("true", "1"):
            # A SQLite URI filename (sqlite:///file:PATH?mode=ro&uri=true): its own options.
            allowed |= {"uri", "mode", "immutable", "cache", "nolock", "vfs"}
        unknown = sorted(set(parsed.query) - allowed)
        if unknown:
            raise DatabaseError(
                f"unknown option ?{unknown[0]}= in database URL {safe_url(raw)}: a SQLite URL "
                "takes only ?timeout=SECONDS (and SQLite URI options with ?uri=true)"
            )
        if "timeout" in parsed.query:
            value = parsed.query["timeout"]
            try:
                seconds = float(_query_value(value))
            except ValueError:
                seconds = math.nan
            if not (math.isfinite(seconds) and 0 <= seconds <= 86400):
                raise DatabaseError(
                    f"bad ?timeout= in database URL {safe_url(parsed)}: {value!r} "
                    "(seconds, e.g. ?timeout=30)"
                )
        if write and is_memory(parsed):
            raise DatabaseError(
                f"refusing in-memory database {safe_url(parsed)}: everything stored would vanish "
                "when chihwatch exits; give a file, e.g. sqlite:////var/lib/chihwatch/chihwatch.db"
            )
    return parsed


def _sqlite_path(url: URL) -> Path | None:
    db = url.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db).expanduser()


def _missing_hint(url: URL, path: Path) -> str:
    msg = (
        f"cannot open database {safe_url(url)}: no database at {path} (commands that only read "
        "never create one; `chihwatch crawl`, `chihwatch ingest` or `chihwatch db init` start one)"
    )
    if not path.is_absolute():
        absolute = Path.cwd() / path
        msg += (
            f"; sqlite:///{path} (three slashes) is relative to the current folder {Path.cwd()}, "
            f"an absolute path takes four: sqlite:///{'/' + str(path)} or sqlite:///{absolute}"
        )
    return msg


def make_engine(
    url: str | URL,
    *,
    create: bool = True,
    write: bool | None = None,
    sqlite_timeout: float = DEFAULT_SQLITE_TIMEOUT,
    pooled: bool = True,
    application_name: str | None = None,
) -> Engine:
    """An engine for `url`: SQLite gets WAL, foreign keys and a busy timeout. Every engine of
    chihwatch comes from here (the store, the daemon's own tables, the daemon lock).

    `create`: a missing SQLite file (and its folders) may be made; otherwise DatabaseMissing with a
    hint. `write` (default: same as `create`): refuse in-memory databases, which keep nothing.
    The options differ only where the callers' work does:
    `sqlite_timeout`: seconds a writer waits for SQLite's lock unless the URL says ?timeout=; the
    daemon's run records wait longer (scheduler.state), a crawl child may hold the lock meanwhile.
    `pooled=False` (NullPool): closing a connection really ends it, so a PostgreSQL session lock
    taken on it goes with it (scheduler.lock). `application_name`: the connection's name in
    PostgreSQL's pg_stat_activity.
    """
    parsed = check_url(url, write=create if write is None else write)
    kwargs: dict[str, Any] = {}
    if not pooled:
        kwargs["poolclass"] = NullPool
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_path(parsed)
        if path is not None and not path.exists():
            if not create:
                raise DatabaseMissing(_missing_hint(parsed, path))
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(
                    f"cannot create the directory for {path}: {exc.strerror or exc}"
                ) from exc
        if "timeout" in parsed.query:
            sqlite_timeout = float(_query_value(parsed.query["timeout"]))
        # We issue BEGIN ourselves (below): pysqlite's implicit transactions break locking.
        kwargs["connect_args"] = {"timeout": sqlite_timeout, "isolation_level": None}
    elif parsed.get_backend_name() == "postgresql":
        kwargs["pool_pre_ping"] = pooled  # a fresh connection each time needs no ping
        kwargs["connect_args"] = {"connect_timeout": 10}
        if application_name:
            kwargs["connect_args"]["application_name"] = application_name
    try:
        engine = create_engine(parsed, **kwargs)
    except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError, ImportError, ValueError) as exc:
        raise DatabaseError(f"unsupported database URL {safe_url(parsed)}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        _sqlite_setup(engine, sqlite_timeout)
    return engine


def _query_value(value: str | tuple[str, ...]) -> str:
    # A query key given twice comes back as a tuple; the last one counts, as for the driver.
    return value if isinstance(value, str) else value[-1]


def _sqlite_setup(engine: Engine, timeout: float) -> None:
    timeout_ms = int(timeout * 1000)

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


# -- revisions, without importing Alembic -----------------------------------------------------------

_REV_RE = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN_RE = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(?:['\"]([^'\"]+)['\"]|None)", re.M)


def _script_revisions() -> dict[str, str | None]:
    """revision -> down_revision of every migration file (a regex read: Alembic stays unimported)."""
    out: dict[str, str | None] = {}
    for f in sorted((MIGRATIONS / "versions").glob("*.py")):
        src = f.read_text("utf-8")
        rev, down = _REV_RE.search(src), _DOWN_RE.search(src)
        if rev and down:
            out[rev.group(1)] = down.group(1)
    return out


def known_revisions() -> list[str]:
    """Every migration, oldest first."""
    revs = _script_revisions()
    children = {down: rev for rev, down in revs.items()}
    order, cur = [], children.get(None)
    while cur is not None:
        order.append(cur)
        cur = children.get(cur)
    if len(order) != len(revs):
        raise RuntimeError(f"storage/migrations is not one chain: {sorted(revs)}")
    return order


def head_revision() -> str:
    """The newest migration this code knows."""
    return known_revisions()[-1]


def _alembic_config() -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _probe(conn: Connection) -> tuple[str | None, list[str]]:
    """(alembic revision or None, the database's tables): two catalog-cheap queries."""
    if conn.dialect.name == "sqlite":
        tables = [
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
    else:
        tables = [
            r[0]
            for r in conn.execute(
                text(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
                )
            )
        ]
    rev = None
    if "alembic_version" in tables:
        rev = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return rev, sorted(t for t in tables if t != "alembic_version")


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None for an empty database)."""
    try:
        with engine.connect() as conn:
            return _probe(conn)[0]
    except sa_exc.SQLAlchemyError as exc:
        raise translate_error(exc, engine.url) from exc


def _too_new(url: URL, rev: str, head: str) -> SchemaTooNew:
    return SchemaTooNew(
        f"database {safe_url(url)} has schema {rev}, newer than this chihwatch "
        f"(knows up to {head}): upgrade chihwatch"
    )


def _too_old(url: URL, rev: str) -> SchemaTooOld:
    return SchemaTooOld(
        f"database {safe_url(url)}: schema {rev} is older than this chihwatch: "
        "run `chihwatch db upgrade` (it keeps a backup copy first)"
    )


def _not_ours(url: URL, tables: list[str]) -> DatabaseError:
    return DatabaseError(
        f"database {safe_url(url)} holds tables ({', '.join(tables[:5])}) but no chihwatch schema "
        "version (alembic_version): not a chihwatch database"
    )


def ensure_schema(engine: Engine, *, create: bool) -> bool:
    """Check the schema is this code's; True if a brand-new empty database was just created.

    Never migrates a database that holds data: an older schema raises SchemaTooOld (exit 5,
    "run `chihwatch db upgrade`"). An empty database is created at head when `create`, else
    DatabaseMissing.
    """
    url = engine.url
    head = head_revision()
    try:
        with engine.connect() as conn:
            rev, tables = _probe(conn)
    except sa_exc.SQLAlchemyError as exc:
        raise translate_error(exc, url) from exc
    if rev == head:
        return False
    if rev is None:
        if [t for t in tables if t != "scheduler_jobs"]:
            raise _not_ours(url, tables)
        if not create:
            raise DatabaseMissing(
                f"database {safe_url(url)} is empty (no chihwatch schema): commands that only "
                "read never create one; `chihwatch crawl`, `chihwatch ingest` or "
                "`chihwatch db init` start one"
            )
        return migrate(engine, backup=False, only_empty=True).created
    if rev not in known_revisions():
        raise _too_new(url, rev, head)
    raise _too_old(url, rev)


# -- upgrades ---------------------------------------------------------------------------------------


@dataclass
class Upgrade:
    """What `migrate` did."""

    url: str
    before: str | None
    after: str
    counts_before: dict[str, int] = field(default_factory=dict)
    counts_after: dict[str, int] = field(default_factory=dict)
    backup: Path | None = None
    created: bool = False

    def summary(self) -> str:
        """One line: revisions, backup, row counts before/after."""
        if self.created:
            return f"{self.url}: created new database at schema {self.after}"
        if self.before == self.after:
            return f"{self.url}: schema {self.after}, up to date"
        counts = ", ".join(
            f"{t} {n}" + (f"->{self.counts_after.get(t)}" if self.counts_after.get(t) != n else "")
            for t, n in sorted(self.counts_before.items())
        )
        where = (
            f"backup {self.backup}"
            if self.backup
            else "one transaction, no backup file (PostgreSQL)"
            if self.url.startswith("postgresql")
            else "no backup"
        )
        return (
            f"{self.url}: schema {self.before} -> {self.after}; {where}; "
            f"rows before = after: {counts or 'no rows'}"
        )


def _counts(conn: Connection, tables: list[str]) -> dict[str, int]:
    from sqlalchemy import func, select, table

    return {
        t: int(conn.execute(select(func.count()).select_from(table(t))).scalar() or 0)
        for t in tables
    }


def _backup_sqlite(engine: Engine, rev: str) -> Path | None:
    path = _sqlite_path(engine.url)
    if path is None:
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.bak-{rev}-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.bak-{rev}-{stamp}-{n}")
    with engine.connect() as conn:
        # VACUUM INTO cannot run inside a transaction: use the driver connection, which has not
        # begun one (pysqlite in autocommit mode, see make_engine).
        conn.connection.driver_connection.execute("VACUUM INTO ?", (str(target),))  # type: ignore[union-attr]
    return target


def migrate(engine: Engine, *, backup: bool = True, only_empty: bool = False) -> Upgrade:
    """Bring the schema to head in one transaction, keeping every row.

    SQLite follows its documented table-rebuild procedure: `PRAGMA foreign_keys=OFF` on the
    migration connection (outside the transaction, where it takes effect), the migrations in one
    `BEGIN IMMEDIATE` transaction, `PRAGMA foreign_key_check` and every table's row count compared
    before the commit, foreign keys back on. With `backup` a `VACUUM INTO <db>.bak-<rev>-<time>`
    copy is written first. PostgreSQL: one transaction under an advisory lock. Anything wrong rolls
    the whole upgrade back and raises a one-line DatabaseError.
    `only_empty`: create a brand-new database, never touch one that holds a schema.
    """
    url = engine.url
    head = head_revision()
    report = Upgrade(safe_url(url), None, head)
    sqlite = engine.dialect.name == "sqlite"
    try:
        with engine.connect() as probe:
            rev, tables = _probe(probe)
        report.before = rev
        if rev == head:
            return report
        if rev is not None and rev not in known_revisions():
            raise _too_new(url, rev, head)
        if rev is not None and only_empty:
            raise _too_old(url, rev)
        if backup and sqlite and rev is not None:
            report.backup = _backup_sqlite(engine, rev)
        with engine.connect() as conn:
            driver = conn.connection.driver_connection
            if sqlite:
                driver.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
            try:
                conn = conn.execution_options(sqlite_begin="IMMEDIATE")
                with conn.begin():
                    if not sqlite:
                        conn.execute(
                            text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK}
                        )
                    if not _migrate_locked(conn, report, only_empty=only_empty):
                        return report
            finally:
                if sqlite:
                    driver.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]
    except (SchemaTooNew, DatabaseError):
        raise
    except sa_exc.SQLAlchemyError as exc:
        raise translate_error(exc, url) from exc
    except OSError as exc:
        raise DatabaseError(f"cannot use database {safe_url(url)}: {exc}") from exc
    report.created = report.before is None
    return report


def _migrate_locked(conn: Connection, report: Upgrade, *, only_empty: bool) -> bool:
    """The migrations inside migrate's transaction, checked before it commits.

    Probes again first, under the lock: another process may have won. False if there was nothing
    left to do; a DatabaseError (rolling everything back) if a row would be lost or orphaned.
    """
    url = conn.engine.url
    rev, tables = _probe(conn)
    report.before = rev
    if rev == report.after:
        return False
    if rev is not None and only_empty:
        raise _too_old(url, rev)
    if rev is None and [t for t in tables if t != "scheduler_jobs"]:
        raise _not_ours(url, tables)
    report.counts_before = _counts(conn, tables)
    log.info("migrating %s from %s to %s", safe_url(url), rev, report.after)
    _run_alembic(conn)
    if conn.dialect.name == "sqlite":
        bad = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if bad:
            raise DatabaseError(
                f"upgrade of {safe_url(url)} from {rev} stopped: {len(bad)} rows "
                f"would break foreign keys (first in table {bad[0][0]}); "
                "rolled back, the database is unchanged"
            )
    report.counts_after = _counts(conn, tables)
    lost = {
        t: (n, report.counts_after.get(t))
        for t, n in report.counts_before.items()
        if report.counts_after.get(t) != n
    }
    if lost:
        raise DatabaseError(
            f"upgrade of {safe_url(url)} from {rev} stopped: row counts changed "
            f"({', '.join(f'{t} {a}->{b}' for t, (a, b) in lost.items())}); "
            "rolled back, the database is unchanged"
        )
    return True


def _run_alembic(conn: Connection) -> None:
    from alembic import command

    cfg = _alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to head without a backup file; returns (before, after)."""
    done = migrate(engine, backup=False)
    return done.before, done.after


def quick_check(engine: Engine) -> None:
    """SQLite's `PRAGMA quick_check`: DatabaseError (exit 5) unless the file is sound."""
    if engine.dialect.name != "sqlite":
        return
    try:
        with engine.connect() as conn:
            rows = [r[0] for r in conn.exec_driver_sql("PRAGMA quick_check").fetchall()]
    except sa_exc.SQLAlchemyError as exc:
        raise translate_error(exc, engine.url) from exc
    if rows != ["ok"]:
        raise DatabaseError(
            f"database {safe_url(engine.url)} is damaged (PRAGMA quick_check: "
            f"{'; '.join(str(r) for r in rows[:3])[:200]}): restore a backup copy"
        )


def open_database(url: str | URL, *, create: bool, write: bool | None = None) -> Engine:
    """make_engine + ensure_schema: an engine on a database at this code's schema.

    A database this call created is noted once ("created new database …", see announce_created).
    """
    engine = make_engine(url, create=create, write=write)
    try:
        if ensure_schema(engine, create=create):
            announce_created(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


# Databases this process created, for the one line the command line prints when it succeeds.
CREATED: list[str] = []
# Long-running commands (the daemon) print the line at once instead of at exit.
ANNOUNCE_NOW = False


def announce_created(engine: Engine) -> None:
    """Note that a new database was started; `chihwatch` says so once (cli.main), on stderr."""
    name = safe_url(engine.url)
    log.info("created new database %s", name)
    if ANNOUNCE_NOW:
        print(f"chihwatch: created new database {name}", file=sys.stderr, flush=True)
    elif name not in CREATED:
        CREATED.append(name)


def created_notes() -> list[str]:
    """The lines the command line prints after a command that started a database."""
    return [f"chihwatch: created new database {name}" for name in CREATED]
