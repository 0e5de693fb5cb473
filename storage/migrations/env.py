"""Alembic environment: runs on the connection storage.db hands over (no alembic.ini needed)."""

from __future__ import annotations

from alembic import context

from storage.models import APSCHEDULER_TABLE, Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Migrate over the connection given in config.attributes (storage.db.upgrade)."""
    connection = config.attributes.get("connection")
    if connection is None:  # `alembic` run by hand with sqlalchemy.url in its config
        from sqlalchemy import create_engine

        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as conn:
            _run(conn)
        return
    _run(connection)


def _include(obj, name, type_, reflected, compare_to) -> bool:
    """APScheduler's job table is APScheduler's: never compared, never dropped."""
    return not (type_ == "table" and name == APSCHEDULER_TABLE)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
        compare_type=True,
        include_object=_include,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported")
run_migrations_online()
