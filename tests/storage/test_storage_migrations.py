"""Schema through Alembic (issue 3): the daemon's tables come from the store's migrations."""

from __future__ import annotations

from sqlalchemy import text
from storage_helpers import json_parse

from storage import open_store
from storage.db import head_revision


def test_scheduler_tables_come_from_the_migrations(db_url: str) -> None:
    from scheduler.state import RunLog
    from scheduler.state import make_engine as sched_engine

    engine = sched_engine(db_url)
    try:
        runs = RunLog(engine)
        runs.create()  # a fresh database: the store's migrations, not create_all
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
                head_revision()
            )
        run = runs.start("crawl")
        runs.finish(run, "ok")
        assert runs.count("crawl", "ok") == 1
    finally:
        engine.dispose()
    with open_store(db_url, parse=json_parse) as st:  # and the store is happy with it
        assert st.list_installments() == []
