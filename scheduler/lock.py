"""One daemon per database: a lock the operating system or the server drops when its holder dies.

SQLite: an fcntl lock on a sidecar file next to the database (`chihwatch.db.daemon.lock`); the
kernel releases it when the process exits, however it exits. PostgreSQL: a session advisory lock
on a connection the daemon keeps open; the server releases it when that connection ends. Both
record who holds them (pid, host, start time) so a second daemon can name the first.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import zlib
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from chihwatch.errors import AlreadyRunning, DatabaseError
from storage.db import ensure_schema, make_engine, safe_url

__all__ = ["Holder", "DaemonLock", "acquire", "current_holder", "lock_path_for"]

log = logging.getLogger(__name__)

# A fixed 63-bit key; advisory locks are scoped to the current database, so one key suffices.
PG_LOCK_KEY = zlib.crc32(b"chihwatch-daemon") << 16 | 0x5C4D
HOLDER_TABLE = "scheduler_lock_holder"


@dataclass(frozen=True)
class Holder:
    """Who holds (or last held) the daemon lock of a database."""

    pid: int
    host: str
    started: str  # ISO 8601, UTC

    def describe(self) -> str:
        """`pid 1234 on host web1 since 2026-11-27T05:22:37+00:00`."""
        return f"pid {self.pid} on host {self.host} since {self.started}"

    @classmethod
    def me(cls) -> Holder:
        """The holder record for this process."""
        now = datetime.now(UTC).replace(microsecond=0).isoformat()
        return cls(pid=os.getpid(), host=socket.gethostname(), started=now)


def is_sqlite(db_url: str) -> bool:
    """True for sqlite:// URLs."""
    return make_url(db_url).get_backend_name() == "sqlite"


def lock_path_for(db_url: str) -> Path:
    """The sidecar lock file of an SQLite database."""
    database = make_url(db_url).database
    if not database or database == ":memory:":
        raise DatabaseError("the daemon needs a database file, not an in-memory SQLite database")
    return Path(database).expanduser().absolute().with_name(Path(database).name + ".daemon.lock")


class DaemonLock:
    """A held lock; `release()` or process death frees it."""

    def __init__(
        self,
        db_url: str,
        holder: Holder,
        *,
        fd: int | None = None,
        conn: Any = None,
        engine: Any = None,
    ) -> None:
        self.db_url = db_url
        self.holder = holder
        self._fd = fd
        self._conn = conn
        self._engine = engine

    def alive(self) -> bool:
        """False if a PostgreSQL lock connection was lost (then the lock is no longer ours)."""
        if self._conn is None:
            return self._fd is not None
        try:
            self._conn.execute(sa.text("SELECT 1"))
            return True
        except Exception:
            return False

    def release(self) -> None:
        """Give the lock up (idempotent)."""
        if self._fd is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None
        if self._conn is not None:
            try:
                self._conn.execute(sa.text("DELETE FROM " + HOLDER_TABLE))
                self._conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": PG_LOCK_KEY})
            except Exception:  # the connection may already be gone; the server dropped the lock
                pass
            finally:
                self._conn.close()
                self._conn = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def __enter__(self) -> DaemonLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def acquire(db_url: str) -> DaemonLock:
    """Take the daemon lock of this database or raise AlreadyRunning naming the holder."""
    if is_sqlite(db_url):
        return _acquire_sqlite(db_url)
    return _acquire_pg(db_url)


def current_holder(db_url: str) -> Holder | None:
    """The running daemon of this database, or None (used by `chihwatch status`)."""
    if is_sqlite(db_url):
        return _sqlite_holder(db_url)
    return _pg_holder(db_url)


# -- SQLite: flock on a sidecar file ---------------------------------------------------------


def _acquire_sqlite(db_url: str) -> DaemonLock:
    path = lock_path_for(db_url)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise DatabaseError(f"cannot create lock file {path}: {exc.strerror or exc}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _read_holder_file(fd)
        os.close(fd)
        raise AlreadyRunning(_refusal(db_url, holder)) from None
    me = Holder.me()
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(asdict(me)) + "\n").encode(), 0)
    os.fsync(fd)
    return DaemonLock(db_url, me, fd=fd)


def _read_holder_file(fd: int) -> Holder | None:
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode() or "null")
        return Holder(**data) if isinstance(data, dict) else None
    except (ValueError, TypeError):
        return None


def _sqlite_holder(db_url: str) -> Holder | None:
    path = lock_path_for(db_url)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        # A shared try-lock succeeds only when no daemon holds the exclusive one.
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder_file(fd) or Holder(pid=0, host="?", started="?")
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


# -- PostgreSQL: session advisory lock -------------------------------------------------------


def _pg_engine(db_url: str) -> sa.Engine:
    # Unpooled: closing the lock's connection must end the session, and the lock with it.
    return make_engine(db_url, pooled=False, application_name="chihwatch daemon lock")


def _acquire_pg(db_url: str) -> DaemonLock:
    engine = _pg_engine(db_url)
    try:
        conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    except sa.exc.SQLAlchemyError as exc:
        engine.dispose()
        raise DatabaseError(f"cannot connect to {safe_url(db_url)}: {_first_line(exc)}") from None
    got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": PG_LOCK_KEY}).scalar()
    if not got:
        holder = _pg_read_holder(conn)
        conn.close()
        engine.dispose()
        raise AlreadyRunning(_refusal(db_url, holder))
    me = Holder.me()
    try:
        # The holder table comes from the store's migrations (0002): a fresh database gets them now.
        ensure_schema(engine, create=True)
    except Exception:
        conn.close()
        engine.dispose()
        raise
    conn.execute(sa.text(f"DELETE FROM {HOLDER_TABLE}"))
    conn.execute(
        sa.text(
            f"INSERT INTO {HOLDER_TABLE} (id, pid, host, started) VALUES (1, :pid, :host, :started)"
        ),
        asdict(me),
    )
    return DaemonLock(db_url, me, conn=conn, engine=engine)


def _pg_lock_held(conn: sa.Connection) -> bool:
    # pg_locks splits a bigint advisory key into classid (high 32 bits) and objid (low 32 bits).
    row = conn.execute(
        sa.text(
            "SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
            "WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database() "
            "AND l.classid = :hi AND l.objid = :lo AND l.objsubid = 1"
        ),
        {"hi": PG_LOCK_KEY >> 32, "lo": PG_LOCK_KEY & 0xFFFFFFFF},
    ).first()
    return row is not None


def _pg_read_holder(conn: sa.Connection) -> Holder | None:
    try:
        row = conn.execute(
            sa.text(f"SELECT pid, host, started FROM {HOLDER_TABLE} WHERE id = 1")
        ).first()
    except sa.exc.ProgrammingError:
        return None
    return Holder(pid=row.pid, host=row.host, started=row.started) if row else None


def _pg_holder(db_url: str) -> Holder | None:
    engine = _pg_engine(db_url)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            if not _pg_lock_held(conn):
                return None
            return _pg_read_holder(conn) or Holder(pid=0, host="?", started="?")
    except sa.exc.SQLAlchemyError as exc:
        raise DatabaseError(f"cannot connect to {safe_url(db_url)}: {_first_line(exc)}") from None
    finally:
        engine.dispose()


def _refusal(db_url: str, holder: Holder | None) -> str:
    who = holder.describe() if holder else "another process (holder unknown)"
    return f"another chihwatch daemon is already running on {safe_url(db_url)}: {who}"


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__
