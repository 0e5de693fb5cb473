"""Fixtures of the fault tests: one mirror server for the session, a crawled baseline store to copy."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from chihwatch.demo.mirror import MirrorServer
from tests.support.crawlkit import SITE, copy_sqlite, crawl_fast
from tests.support.faults import FaultPlan


@pytest.fixture(scope="session")
def mirror() -> Iterator[MirrorServer]:
    """The mirror on 127.0.0.1 (one port for the session: stored URLs carry it)."""
    with MirrorServer(SITE, state="state1") as server:
        yield server


@pytest.fixture(scope="session")
def baseline_db(mirror: MirrorServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A store that crawled state1 of the mirror once, healthy (copied by each test)."""
    home = tmp_path_factory.mktemp("baseline-home")
    url = f"sqlite:///{home / 'baseline.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(
            "CHIHWATCH_HOME", str(home)
        )  # the crawl's HTTP cache never goes to the user's dir
        mirror.set_state("state1")
        summary = crawl_fast(url, mirror)
    assert summary.errors == 0, summary.error_messages
    assert summary.new_installments == 9, summary
    return url


@pytest.fixture
def site(mirror: MirrorServer) -> Iterator[MirrorServer]:
    """The session's mirror, reset: state1, no faults, empty request log."""
    mirror.set_state("state1")
    mirror.faults.clear()
    mirror.clear_log()
    yield mirror
    mirror.faults.clear()
    mirror.set_state("state1")


@pytest.fixture
def plan(site: MirrorServer) -> Iterator[FaultPlan]:
    p = FaultPlan(site)
    yield p
    p.clear()


@pytest.fixture
def store_url(baseline_db: str, tmp_path: Path) -> str:
    """A fresh copy of the baseline store for one test."""
    assert os.environ.get("CHIHWATCH_HOME")  # tests/conftest.py isolates the data dir
    return copy_sqlite(baseline_db, tmp_path / "store.db")
