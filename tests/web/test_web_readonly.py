"""The workbench reads the store and nothing else: read-only engines, schema checks, the CLI."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import text

from chihwatch.errors import DatabaseError, SchemaTooNew
from storage import open_store
from tests.web.web_helpers import LATER, PAGES, expected
from web.readonly import open_readonly

ROOT = Path(__file__).resolve().parents[2]
CHIHWATCH = [sys.executable, "-m", "chihwatch"]


def test_writes_fail_in_the_database(filled_url: str) -> None:
    store = open_readonly(filled_url)
    try:
        with pytest.raises(Exception, match="(?i)read-?only"):
            with store.engine.begin() as conn:
                conn.execute(text("DELETE FROM sections"))
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM sections")).scalar() > 0
    finally:
        store.close()


def test_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "none" / "x.db"
    with pytest.raises(DatabaseError, match="no database at"):
        open_readonly(f"sqlite:///{path}")
    assert not path.exists() and not path.parent.exists()


def test_not_a_store_and_schema_too_new(tmp_path: Path, sqlite_url: str) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    with pytest.raises(DatabaseError, match="not a chihwatch store"):
        open_readonly(f"sqlite:///{empty}")
    open_store(sqlite_url).close()
    db = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    with pytest.raises(SchemaTooNew, match="newer than this chihwatch"):
        open_readonly(sqlite_url)


def test_search_index_follows_new_revisions(filled_url: str) -> None:
    """A page crawled while the app runs is searchable at the next request (index refreshed)."""
    from starlette.testclient import TestClient

    from web.app import create_app

    reader = open_readonly(filled_url)
    try:
        app = create_app(reader, check_every=0)
        with TestClient(app) as c:
            assert c.get("/api/search", params={"q": "管委会+公司"}).json()["total"] == 1
            phrase = "全新的测试短语出现了"
            assert c.get(f"/api/search?q={phrase}").json()["total"] == 0
            writer = open_store(filled_url)
            try:
                html = (PAGES / f"{LATER}.html").read_text(encoding="utf-8")
                first = expected(LATER)["zones"][0]["paragraphs"][0]
                assert html.count(first) == 1
                writer.record_response(
                    expected(LATER)["url"],
                    status=200,
                    headers={"Content-Type": "text/html; charset=utf-8"},
                    body=html.replace(first, first + phrase).encode("utf-8"),
                )
            finally:
                writer.close()
            hit = c.get(f"/api/search?q={phrase}").json()
            assert hit["total"] == 1 and hit["hits"][0]["occurrences"][0]["revision"] == 2
            # The old text is still found, in revision 1 only (and revision 2 shares the others).
            assert c.get("/api/search", params={"q": "管委会+公司"}).json()["total"] == 1
            assert app.state.wb.index.builds == 1  # caught up incrementally, no rebuild
    finally:
        reader.close()


def _serve(*args: str, cwd: Path | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [*CHIHWATCH, "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd or ROOT,
        env=env,
    )


def test_cli_missing_db_one_line_exit_5(tmp_path: Path) -> None:
    p = subprocess.run(
        [*CHIHWATCH, "serve", "--db", f"sqlite:///{tmp_path / 'no.db'}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode == 5, p.stderr
    assert p.stderr.count("\n") == 1 and "no database at" in p.stderr
    assert "Traceback" not in p.stderr


def test_cli_demo_without_demo_store(tmp_path: Path) -> None:
    p = subprocess.run(
        [*CHIHWATCH, "serve", "--demo"], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert p.returncode == 5 and "run `chihwatch demo` first" in p.stderr
    assert p.stderr.count("\n") == 1


def test_cli_serves_demo_store_on_loopback_and_stops(tmp_path: Path) -> None:
    """`serve --demo` opens ./chihwatch-demo-report/chihwatch.db, binds 127.0.0.1, stops on SIGINT."""
    from chihwatch.paths import DEMO_DB, DEMO_DIR
    from tests.web.web_helpers import fill

    (tmp_path / DEMO_DIR).mkdir()
    st = open_store(f"sqlite:///{tmp_path / DEMO_DIR / DEMO_DB}")
    fill(st)
    st.close()
    proc = _serve("--demo", "--port", "0", cwd=tmp_path)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert "7 installments" in line and "(read-only) at http://127.0.0.1:" in line, line
        url = line.split(" at ")[1].split()[0]
        with urllib.request.urlopen(url + "installments/2025-1", timeout=10) as r:
            body = r.read().decode("utf-8")
        assert r.status == 200 and "威海高新区" in body
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
        assert "stopped" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_cli_port_in_use_and_non_loopback_warning(filled_url: str) -> None:
    import socket

    from chihwatch.cli.serve import host_warning

    for local in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"):
        assert host_warning(local) is None, local
    for exposed in ("0.0.0.0", "::", "192.0.2.1", "example.org"):
        warning = host_warning(exposed)
        assert warning and exposed in warning and "no login" in warning
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        start = time.monotonic()
        p = subprocess.run(
            [*CHIHWATCH, "serve", "--db", filled_url, "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert p.returncode == 9 and f"cannot listen on 127.0.0.1:{port}" in p.stderr, p.stderr
    assert time.monotonic() - start < 30
