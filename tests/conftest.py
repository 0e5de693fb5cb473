"""Shared test fixtures: isolated data dir, databases on both backends, fixture paths."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

# A PostgreSQL server for the postgres half of the storage tests, e.g.
# postgresql+psycopg://postgres:postgres@127.0.0.1:5432/postgres (.ci/run starts one and sets it).
PG_URL = os.environ.get("CHIHWATCH_TEST_PG")
# In CI a missing server is a failure, never a silent skip.
REQUIRE_PG = os.environ.get("CHIHWATCH_REQUIRE_PG") == "1"


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test touches the user's real data directory or database."""
    home = tmp_path_factory.mktemp("chihwatch-home")
    monkeypatch.setenv("CHIHWATCH_HOME", str(home))
    monkeypatch.delenv("CHIHWATCH_DB", raising=False)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


def _fresh_pg_database() -> Iterator[str]:
    from sqlalchemy import create_engine, text

    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("CHIHWATCH_REQUIRE_PG=1 but CHIHWATCH_TEST_PG is not set")
        pytest.skip("no PostgreSQL server: set CHIHWATCH_TEST_PG to run the postgres half")
    name = "cw_" + uuid.uuid4().hex[:12]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test, dropped afterwards."""
    yield from _fresh_pg_database()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same test on both backends: a fresh SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
    else:
        yield from _fresh_pg_database()


# Debian's Chromium for the browser tests (tests/reports, tests/web): .ci/run installs it.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium through Playwright; a missing browser fails the test, never skips it."""
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(f"{CHROMIUM} is missing (.ci/run installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()
