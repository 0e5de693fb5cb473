"""Issue 10 §1: a database written by every earlier schema head upgrades keeping every row.

fixtures/upgrade/REV.sql is a dump of a database that the commit where REV was the newest
migration wrote itself (fixtures/upgrade/generate.py): ingested pages, a crawl of the mirror with
304s, a 404, an edit, a suspect, the daemon's runs. Each is upgraded through the real console
script, on SQLite and on PostgreSQL (the era's schema made by the migrations up to REV, the same
rows copied in), and every table's row count and content hash over the columns it had before
must be unchanged; the upgraded store then answers list, show and report.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from storage.db import head_revision, known_revisions
from tests.support.upgradekit import (
    FIXTURES,
    fixture_columns,
    fixture_revisions,
    load_postgres,
    load_sqlite,
    snapshot,
)

CHIHWATCH = shutil.which("chihwatch", path=str(Path(sys.executable).parent)) or "chihwatch"
REVS = fixture_revisions()


def cw(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CHIHWATCH_DB"}
    return subprocess.run(
        [CHIHWATCH, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    )


def test_every_migration_has_its_fixture() -> None:
    """Every future migration adds fixtures/upgrade/REV.sql (run fixtures/upgrade/generate.py)."""
    from alembic.script import ScriptDirectory

    from storage.db import _alembic_config

    script = ScriptDirectory.from_config(_alembic_config())
    alembic_order = [r.revision for r in reversed(list(script.walk_revisions()))]
    assert known_revisions() == alembic_order  # the cheap reader agrees with Alembic
    assert head_revision() == script.get_current_head()
    missing = [rev for rev in alembic_order if rev not in REVS]
    assert not missing, f"migrations without an upgrade fixture: {missing}"
    assert set(REVS) <= set(alembic_order), f"fixtures of unknown schemas: {REVS}"


@pytest.mark.parametrize("rev", REVS)
def test_fixture_is_an_era_database_with_realistic_rows(rev: str) -> None:
    """The fixture holds what the tests claim: every kind of row, at its own schema."""
    conn = sqlite3.connect(":memory:")
    conn.executescript((FIXTURES / f"{rev}.sql").read_text("utf-8"))
    assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (rev,)
    count = {
        t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in fixture_columns(rev)
    }
    for table in ("blobs", "pages", "fetches", "installments", "revisions", "sections", "events"):
        assert count[table] > 0, table
    assert count["scheduler_runs"] == 3
    statuses = {r[0] for r in conn.execute("SELECT DISTINCT status FROM fetches")}
    assert {200, 304, 404} <= statuses
    kinds = {r[0] for r in conn.execute("SELECT DISTINCT kind FROM events")}
    assert {"suspect", "availability"} <= kinds
    # an edited installment: more than one revision
    assert conn.execute("SELECT max(seq) FROM revisions").fetchone()[0] >= 2
    conn.close()


def _check_upgraded_store_answers(url: str, cwd: Path | None = None) -> None:
    out = cw("--db", url, "list", "--json", cwd=cwd)
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert len(rows) == 10 and {(r["year"], r["installment"]) for r in rows} >= {(2024, 1)}
    out = cw("--db", url, "show", "2024-2", "--json", cwd=cwd)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["zones"]
    out = cw(
        "--db", url, "report", "--format", "json", "--since", "2024-01-01", "--until",
        "2030-01-01", cwd=cwd,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)


def _upgrade_keeps_every_row(rev: str, url: str, cwd: Path | None = None) -> str:
    columns = fixture_columns(rev)
    before = snapshot(url, columns)
    if rev != head_revision():
        # Opening an older database never migrates it: exit 5 and one line, nothing touched.
        out = cw("--db", url, "list", cwd=cwd)
        assert out.returncode == 5, (out.returncode, out.stderr)
        assert out.stderr.count("\n") == 1
        assert (
            f"schema {rev} is older than this chihwatch: run `chihwatch db upgrade`" in out.stderr
        )
        assert snapshot(url, columns) == before
    out = cw("--db", url, "db", "upgrade", cwd=cwd)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("\n") == 1
    after = snapshot(url, columns)
    assert after == before  # every row of every table, every column it had
    assert (
        cw("--db", url, "db", "current", cwd=cwd)
        .stdout.split("schema ")[1]
        .startswith(head_revision())
    )
    _check_upgraded_store_answers(url, cwd)
    return out.stdout


@pytest.mark.parametrize("rev", REVS)
def test_sqlite_upgrade_keeps_every_row(rev: str, tmp_path: Path) -> None:
    db = tmp_path / "era.db"
    load_sqlite(rev, db)
    url = f"sqlite:///{db}"
    line = _upgrade_keeps_every_row(rev, url)
    if rev == head_revision():
        assert "up to date" in line
        return
    # A backup copy first (VACUUM INTO), holding the era's database as it was.
    backups = sorted(tmp_path.glob(f"era.db.bak-{rev}-*"))
    assert len(backups) == 1 and str(backups[0]) in line
    columns = fixture_columns(rev)
    fresh = tmp_path / "fresh.db"
    load_sqlite(rev, fresh)
    assert snapshot(f"sqlite:///{backups[0]}", columns) == snapshot(f"sqlite:///{fresh}", columns)
    con = sqlite3.connect(backups[0])
    assert con.execute("SELECT version_num FROM alembic_version").fetchone() == (rev,)
    con.close()
    # the one line names each table's rows: the same number before and after
    assert f"schema {rev} -> {head_revision()}" in line and "fetches 39" in line
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    assert con.execute("PRAGMA foreign_keys").fetchone() == (0,)  # a new connection: default
    con.close()
    assert not list(tmp_path.glob("*.migrate-lock"))


@pytest.mark.postgres
@pytest.mark.parametrize("rev", REVS)
def test_postgres_upgrade_keeps_every_row(rev: str, pg_url: str, tmp_path: Path) -> None:
    db = tmp_path / "era.db"
    load_sqlite(rev, db)
    load_postgres(rev, db, pg_url)
    columns = fixture_columns(rev)
    # The copy is faithful: PostgreSQL holds exactly the fixture's rows before the upgrade.
    assert snapshot(pg_url, columns) == snapshot(f"sqlite:///{db}", columns)
    line = _upgrade_keeps_every_row(rev, pg_url)
    if rev != head_revision():
        assert "one transaction" in line


def test_failed_upgrade_rolls_back_and_keeps_the_database(tmp_path: Path) -> None:
    """A row that breaks a foreign key after the rebuild: the whole upgrade is undone, exit 5."""
    rev = REVS[0]
    db = tmp_path / "era.db"
    load_sqlite(rev, db)
    con = sqlite3.connect(db)
    con.execute("PRAGMA foreign_keys = OFF")
    con.execute("UPDATE fetches SET page_id = 99999 WHERE id = (SELECT min(id) FROM fetches)")
    con.commit()
    con.close()
    columns = fixture_columns(rev)
    url = f"sqlite:///{db}"
    before = snapshot(url, columns)
    out = cw("--db", url, "db", "upgrade")
    assert out.returncode == 5 and out.stderr.count("\n") == 1
    assert "foreign keys" in out.stderr and "rolled back" in out.stderr
    assert snapshot(url, columns) == before
    con = sqlite3.connect(db)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone() == (rev,)
    con.close()
