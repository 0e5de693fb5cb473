"""`chihwatch daemon` / `chihwatch status` on the command line: help, bad values, empty databases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chihwatch", *args], capture_output=True, text=True, timeout=60
    )


def test_help_lists_every_flag() -> None:
    out = run("daemon", "--help")
    assert out.returncode == 0
    for flag in ("--config", "--start-url", "--crawl-interval", "--report-dir", "--db"):
        assert flag in out.stdout
    out = run("status", "--help")
    assert out.returncode == 0 and "--json" in out.stdout and "--db" in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--crawl-interval", "5 parsecs"], "--crawl-interval: expected a duration"),
        (["--crawl-interval", "0s"], "must be positive"),
        (["--start-url", "ftp://example.org/"], "--start-url: not an http(s) URL"),
        (["--config", "/nonexistent/daemon.toml"], "cannot read config file"),
    ],
)
def test_bad_values_are_one_line_and_exit_9(tmp_path: Path, args: list[str], message: str) -> None:
    out = run("daemon", "--db", f"sqlite:///{tmp_path / 'x.db'}", *args)
    assert out.returncode == 9, out.stderr
    assert message in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.db").exists()  # refused before touching the database


def test_status_of_a_missing_database_is_one_line(tmp_path: Path) -> None:
    out = run("status", "--db", f"sqlite:///{tmp_path / 'none.db'}")
    assert out.returncode == 5 and "no database at" in out.stderr
    assert not (tmp_path / "none.db").exists()


def test_status_of_a_database_the_daemon_never_ran_on(tmp_path: Path) -> None:
    from storage import open_store

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    open_store(url)
    out = run("status", "--db", url)
    assert out.returncode == 0, out.stderr
    assert "daemon:    not running" in out.stdout
    assert "crawl   not scheduled" in out.stdout
