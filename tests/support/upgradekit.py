"""Helpers for the upgrade tests: load an era's dump into SQLite or PostgreSQL, snapshot tables.

A snapshot is, per table, its row count and a SHA-256 over every row of the columns the table had
in the fixture (values normalised so SQLite and PostgreSQL give the same text: datetimes as UTC
ISO strings, bytes as hex, booleans as 0/1), rows sorted, so an upgrade that loses, doubles or
alters a row changes it.
"""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "upgrade"
IGNORED = {"alembic_version"}

Snapshot = dict[str, tuple[int, str]]


def fixture_revisions() -> list[str]:
    """The schema heads there is a fixture for (fixtures/upgrade/REV.sql)."""
    return sorted(p.stem for p in FIXTURES.glob("*.sql"))


def load_sqlite(rev: str, path: Path) -> None:
    """The era's database as a SQLite file, exactly as its dump says."""
    conn = sqlite3.connect(path)
    conn.executescript((FIXTURES / f"{rev}.sql").read_text("utf-8"))
    conn.close()


def fixture_columns(rev: str) -> dict[str, list[str]]:
    """table -> its columns in the era's schema."""
    conn = sqlite3.connect(":memory:")
    conn.executescript((FIXTURES / f"{rev}.sql").read_text("utf-8"))
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    out = {
        t: [r[1] for r in conn.execute(f'PRAGMA table_info("{t}")')]
        for t in tables
        if t not in IGNORED
    }
    conn.close()
    return out


def _norm(v: Any) -> str:
    if v is None:
        return "\\N"
    if isinstance(v, datetime):
        if v.tzinfo is not None:
            v = v.astimezone(UTC).replace(tzinfo=None)
        return v.isoformat(sep=" ")
    if isinstance(v, bytes | memoryview):
        return bytes(v).hex()
    if isinstance(v, bool):
        return str(int(v))
    if isinstance(v, float):
        return repr(v)
    return str(v)


def snapshot(url: str, columns: dict[str, list[str]]) -> Snapshot:
    """Row count and content hash of every table in `columns`, over those columns only."""
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    out: Snapshot = {}
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SET TIME ZONE 'UTC'"))
            for table, cols in sorted(columns.items()):
                t = sa.Table(table, meta, autoload_with=conn)
                rows = conn.execute(sa.select(*(t.c[c] for c in cols))).all()
                lines = sorted("\x1f".join(_norm(v) for v in row) for row in rows)
                digest = hashlib.sha256("\x1e".join(lines).encode("utf-8")).hexdigest()
                out[table] = (len(rows), digest)
    finally:
        engine.dispose()
    return out


def load_postgres(rev: str, sqlite_file: Path, pg_url: str) -> None:
    """The era's schema made by the migrations up to `rev`, then the fixture's rows copied in.

    Tables the era's code created outside Alembic (0001: the daemon's scheduler_runs) are created
    as the fixture has them.
    """
    from alembic import command

    from storage.db import _alembic_config, make_engine

    engine = make_engine(pg_url)
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, rev)
    src = sa.create_engine(f"sqlite:///{sqlite_file}")
    smeta, dmeta = sa.MetaData(), sa.MetaData()
    smeta.reflect(src)
    have = set(sa.inspect(engine).get_table_names())
    for name, table in smeta.tables.items():
        if name not in have:
            cols = [
                sa.Column(c.name, c.type.as_generic(), primary_key=c.primary_key) for c in table.c
            ]
            sa.Table(name, sa.MetaData(), *cols).create(engine)
    dmeta.reflect(engine)
    with src.connect() as sconn, engine.begin() as dconn:
        dconn.execute(sa.text("SET TIME ZONE 'UTC'"))
        # Rows go in as they are; foreign keys (installments <-> revisions point at each other)
        # are checked by the upgrade itself, not by the order of this copy.
        dconn.execute(sa.text("SET session_replication_role = replica"))
        for name, table in smeta.tables.items():
            if name == "alembic_version":
                continue
            rows = [dict(r._mapping) for r in sconn.execute(sa.select(table))]
            if rows:
                dconn.execute(dmeta.tables[name].insert(), rows)
            if "id" in table.c:
                dconn.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT coalesce(max(id), 0) + 1 FROM {name}), false) "
                        f"WHERE pg_get_serial_sequence('{name}', 'id') IS NOT NULL"
                    )
                )
        dconn.execute(sa.text("SET session_replication_role = origin"))
    src.dispose()
    engine.dispose()
