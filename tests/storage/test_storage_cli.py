"""The store's commands through chihwatch.cli.main: JSON shapes, escaping, one-line failures."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chihwatch.cli import main
from storage import open_store
from tests.storage.storage_helpers import KUNMING, article, json_parse, page

URL = "http://www.chinahightech.com/html/hotnews/yaowen/2024/0206/5699999.html"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""
    code = 0
    try:
        main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def seed(db_url: str, evil: bool = False) -> None:
    st = open_store(db_url, parse=json_parse)
    extra = ['<script>alert("x")</script><img src=x onerror=alert(1)>'] if evil else []
    st.record_response(
        URL,
        status=200,
        headers={},
        body=page(article(zones={"昆明高新区": KUNMING})),
        fetched_at=datetime(2024, 2, 6, tzinfo=UTC),
    )
    edited = [KUNMING[0], KUNMING[1].replace("增长5%", "增长6%"), *extra]
    st.record_response(
        URL,
        status=200,
        headers={},
        body=page(article(zones={"昆明高新区": edited})),
        fetched_at=datetime(2024, 2, 7, tzinfo=UTC),
    )
    st.close()


def test_list_show_diff_json(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    seed(db_url)
    code, out, _ = run(capsys, "--db", db_url, "list", "--json")
    assert code == 0
    (row,) = json.loads(out)
    assert set(row) >= {
        "id",
        "url",
        "title",
        "year",
        "installment",
        "published",
        "zones",
        "revisions",
        "first_seen",
        "last_seen",
    }
    assert (row["year"], row["installment"], row["zones"], row["revisions"]) == (
        2024,
        5,
        ["昆明高新区"],
        2,
    )
    code, out, _ = run(capsys, "--db", db_url, "show", "2024-5", "--json")
    shown = json.loads(out)
    assert code == 0 and shown["zones"][0]["figures"][0]["indicator"] == "固定资产投资"
    assert shown["zones"][0]["figures"][0]["value"] == 6
    code, out, _ = run(capsys, "--db", db_url, "diff", "2024-5", "--format", "json")
    d = json.loads(out)
    assert code == 0 and d["changes"][0]["inline"][1:3] == [["-", "增长5%"], ["+", "增长6%"]]
    code, out, _ = run(capsys, "--db", db_url, "diff", "2024-5")
    assert code == 0 and "[-增长5%-]{+增长6%+}" in out  # no TTY: plain markers, no colour codes
    assert "\x1b[" not in out
    code, out, _ = run(capsys, "--db", db_url, "list")
    assert code == 0 and "2024-5" in out and "昆明高新区" in out


def test_diff_html_escapes_page_text(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    seed(sqlite_url, evil=True)
    code, out, _ = run(capsys, "--db", sqlite_url, "diff", "2024-5", "--format", "html")
    assert code == 0 and out.startswith("<!DOCTYPE html>")
    assert "<script>" not in out and "<img" not in out
    assert (
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in out
    )
    assert "<del>增长5%</del>" in out and "<ins>增长6%</ins>" in out


def test_missing_installment_is_one_line_exit_6(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    open_store(sqlite_url).close()
    code, out, err = run(capsys, "--db", sqlite_url, "show", "2031-9")
    assert code == 6 and out == ""
    assert err.count("\n") == 1 and "no installment '2031-9'" in err


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("nonsense", id="not-a-url"),
        pytest.param("sqlite:////dev/null/sub/x.db", id="uncreatable-dir"),
        pytest.param("postgresql+psycopg://u:secret@127.0.0.1:1/x", id="no-server"),
        pytest.param("mysql://u@127.0.0.1/x", id="unsupported"),
    ],
)
def test_unopenable_database(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--db", url, "list")
    assert code == 5, err
    assert err.startswith("chihwatch: ") and err.count("\n") == 1
    assert "secret" not in err and "Traceback" not in err


def test_schema_newer_than_code(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    from sqlalchemy import text

    st = open_store(db_url)
    with st.engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    st.close()
    code, _, err = run(capsys, "--db", db_url, "list", "--json")
    assert code == 5 and err.count("\n") == 1
    assert "9999_from_the_future" in err and "newer than this chihwatch" in err


def test_locked_sqlite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "locked.db"
    open_store(f"sqlite:///{db}").close()
    page_file = tmp_path / "p.html"
    page_file.write_bytes(b"<html>anything</html>")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute(
        "INSERT INTO blobs (sha256, size, compression, data) VALUES ('x', 0, 'zlib', x'')"
    )
    try:
        code, out, err = run(
            capsys, "--db", f"sqlite:///{db}?timeout=0.2", "ingest", str(page_file), "--url", URL
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 5 and out == ""
    assert err.count("\n") == 1 and "locked" in err
    # Nothing half-written: the ingest left no page, fetch or blob behind.
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM pages").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM fetches").fetchone() == (0,)
    con.close()


def test_db_upgrade_on_empty_and_current(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    from storage.db import head_revision

    code, out, _ = run(capsys, "--db", db_url, "db", "upgrade")
    assert code == 0 and f"created new database at schema {head_revision()}" in out
    code, out, _ = run(capsys, "--db", db_url, "db", "upgrade")
    assert code == 0 and "up to date" in out


def test_ingest_bad_inputs(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "--db", sqlite_url, "ingest", str(tmp_path / "missing.html"), "--url", URL
    )
    assert code == 3 and err.count("\n") == 1
    f = tmp_path / "p.html"
    f.write_bytes(b"x")
    code, _, err = run(
        capsys, "--db", sqlite_url, "ingest", str(f), "--url", URL, "--fetched-at", "yesterday"
    )
    assert code == 2 and "ISO 8601" in err


def test_default_database_is_created_in_data_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 15: a read command never creates the database; the first writing command does."""
    from chihwatch.paths import data_dir

    assert not (data_dir() / "chihwatch.db").exists()
    code, out, err = run(capsys, "list", "--json")
    assert code == 5 and out == "" and err.count("\n") == 1 and "no database at" in err
    assert not (data_dir() / "chihwatch.db").exists()
    f = tmp_path / "p.html"
    f.write_bytes(page(article(zones={"昆明高新区": KUNMING})))
    code, out, err = run(capsys, "ingest", str(f), "--url", URL)
    assert code == 4  # not a parseable page (JSON): but the raw page is stored, so the db exists
    assert (data_dir() / "chihwatch.db").is_file()
    code, out, err = run(capsys, "list", "--json")
    assert code == 0 and json.loads(out) == [] and err == ""


def test_show_and_reparse_text(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    seed(sqlite_url)
    code, out, _ = run(capsys, "--db", sqlite_url, "show", URL)
    assert code == 0
    assert "昆明高新区" in out and "revision 2 of 2" in out and "固定资产投资增长6%" in out
    # `reparse` with the real parser over JSON "pages": every one fails to parse, nothing changes.
    code, out, _ = run(capsys, "--db", sqlite_url, "reparse", "--json")
    assert code == 0 and json.loads(out) == {
        "pages": 1,
        "parsed": 0,
        "unchanged": 0,
        "new_revisions": 0,
        "new_installments": 0,
        "suspects": 0,
        "errors": 1,
    }
    code, out, _ = run(capsys, "--db", sqlite_url, "list", "--json")
    assert json.loads(out)[0]["revisions"] == 2
