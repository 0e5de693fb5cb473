"""Schema through Alembic (issue 3): the daemon's tables come from the store's migrations."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from storage import open_store
from storage.db import head_revision, make_engine, upgrade
from storage.models import Installment
from tests.storage.storage_helpers import json_parse


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


def test_old_database_with_daemon_made_tables_upgrades(db_url: str) -> None:
    """A 0001 database where a daemon created its tables itself upgrades to head, data kept."""
    from alembic import command

    from storage.db import _alembic_config

    engine = make_engine(db_url)
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    key = "SERIAL PRIMARY KEY" if engine.dialect.name == "postgresql" else "INTEGER PRIMARY KEY"
    with engine.begin() as conn:  # what scheduler/state.py and lock.py used to create
        conn.execute(
            text(
                f"CREATE TABLE scheduler_runs (id {key}, job VARCHAR(32) "
                "NOT NULL, started TIMESTAMP NOT NULL, finished TIMESTAMP, status "
                "VARCHAR(16) NOT NULL, figures TEXT, error TEXT)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO scheduler_runs (job, started, status) "
                "VALUES ('crawl', '2024-02-06 01:00:00', 'ok')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO installments (series, year, number, title, url, first_seen, "
                "last_seen) VALUES ('s', 2024, 5, 't', 'http://x/', '2024-02-06 01:00:00', "
                "'2024-02-06 01:00:00')"
            )
        )
    assert upgrade(engine) == ("0001", head_revision())
    with Session(engine) as s:
        inst = s.scalars(select(Installment)).one()
        assert inst.confirmed_at == inst.first_seen  # stored installments were healthy ones
        assert s.execute(text("SELECT count(*) FROM scheduler_runs")).scalar() == 1
    engine.dispose()


def test_opening_an_older_schema_never_migrates_it(db_url: str) -> None:
    """Issue 10 §1: open_store refuses (exit 5, 'run chihwatch db upgrade'); db upgrade migrates."""
    import pytest
    from alembic import command

    from storage.db import SchemaTooOld, _alembic_config, current_revision, migrate

    engine = make_engine(db_url)
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
    with pytest.raises(SchemaTooOld) as err:
        open_store(db_url)
    assert err.value.exit_code == 5
    assert "schema 0003 is older than this chihwatch: run `chihwatch db upgrade`" in str(err.value)
    assert current_revision(engine) == "0003"  # untouched
    done = migrate(engine, backup=False)
    assert (done.before, done.after) == ("0003", head_revision())
    engine.dispose()
    with open_store(db_url, parse=json_parse) as st:
        assert st.list_installments() == []


def test_concurrent_first_use_creates_one_schema_without_a_lock_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Daemon + crawl child (here: four processes) creating one new SQLite file at once."""
    import subprocess
    import sys

    db = tmp_path / "new.db"
    code = f"from storage import open_store; open_store('sqlite:///{db}').close()"
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    errs = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    assert all(rc == 0 for rc, _ in errs), errs
    engine = make_engine(f"sqlite:///{db}", create=False)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).all() == [
            (head_revision(),)
        ]
    engine.dispose()
    assert sorted(p.name for p in tmp_path.iterdir() if "lock" in p.name) == []
