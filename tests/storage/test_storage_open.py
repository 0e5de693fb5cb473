"""Opening a database through the real console script (issues 10 §2/§5, 15, 16).

Only commands meant to start a database create one, and say so once; read commands on a missing
database exit 5 with a hint; in-memory and malformed `--db` URLs are one line and exit 5; `status`
on a damaged file exits 5; a read on an up-to-date store never imports Alembic.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHIHWATCH = shutil.which("chihwatch", path=str(Path(sys.executable).parent)) or "chihwatch"
PAGES = ROOT / "fixtures" / "pages"
URL1 = "http://www.chinahightech.com/html/hotnews/yaowen/2024/0123/5696188.html"
URL2 = "http://www.chinahightech.com/html/hotnews/yaowen/2024/0126/5697340.html"
READS = [
    ("list",),
    ("list", "--json"),
    ("show", "2024-1"),
    ("diff", "2024-1"),
    ("report", "--format", "json"),
    ("status",),
    ("db", "current"),
]


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


def one_line(out: subprocess.CompletedProcess[str]) -> bool:
    return out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


@pytest.mark.parametrize("cmd", READS, ids=lambda c: " ".join(c))
def test_read_commands_never_create_a_database(tmp_path: Path, cmd: tuple[str, ...]) -> None:
    db = tmp_path / "nonexist" / "dir" / "x.db"
    out = cw("--db", f"sqlite:///{db}", *cmd)
    assert out.returncode == 5 and one_line(out), out.stderr
    assert out.stdout == "" and "no database at" in out.stderr
    assert not (tmp_path / "nonexist").exists()  # not even the folders


def test_relative_sqlite_url_hint(tmp_path: Path) -> None:
    out = cw("--db", "sqlite:///srv/x.db", "list", cwd=tmp_path)
    assert out.returncode == 5 and one_line(out)
    assert "relative to the current folder" in out.stderr
    assert "sqlite:////srv/x.db" in out.stderr  # the four-slash absolute form
    assert not (tmp_path / "srv").exists()


def test_writing_commands_create_once_and_say_so(tmp_path: Path) -> None:
    db = tmp_path / "new" / "x.db"
    url = f"sqlite:///{db}"
    out = cw("--db", url, "ingest", str(PAGES / "chih2019-2024-01.html"), "--url", URL1)
    assert out.returncode == 0, out.stderr
    assert out.stderr == f"chihwatch: created new database {url}\n"
    out = cw("--db", url, "ingest", str(PAGES / "chih2019-2024-02.html"), "--url", URL2)
    assert out.returncode == 0 and out.stderr == ""  # once: the second run says nothing
    out = cw("--db", url, "list", "--json")
    assert out.returncode == 0 and out.stderr == "" and '"installment": 2' in out.stdout
    assert sorted(p.name for p in db.parent.iterdir() if "lock" in p.name) == []  # no lock file


def test_db_init_and_current(tmp_path: Path) -> None:
    from storage.db import head_revision

    url = f"sqlite:///{tmp_path / 'x.db'}"
    out = cw("--db", url, "db", "init")
    assert out.returncode == 0 and f"created new database {url} at schema" in out.stdout
    out = cw("--db", url, "db", "init")
    assert out.returncode == 0 and "already a chihwatch database" in out.stdout
    out = cw("--db", url, "db", "current")
    assert out.returncode == 0
    assert (
        out.stdout.strip()
        == f"{url}: schema {head_revision()}, code knows {head_revision()} (up to date)"
    )
    out = cw("--db", url, "list", "--json")
    assert out.returncode == 0 and out.stdout.strip() == "[]"


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "sqlite:///"])
@pytest.mark.parametrize(
    "cmd",
    [
        ("ingest", str(PAGES / "chih2019-2024-01.html"), "--url", URL1),
        ("reparse",),
        ("db", "upgrade"),
        ("db", "init"),
        ("crawl", "--start-url", "http://127.0.0.1:9/"),
        ("demo",),
    ],
    ids=lambda c: c[0] if c[0] != "db" else " ".join(c),
)
def test_in_memory_databases_are_refused_by_writers(url: str, cmd: tuple[str, ...]) -> None:
    out = cw("--db", url, *cmd)
    assert out.returncode == 5, out.stderr
    assert one_line(out) and "in-memory" in out.stderr
    assert "new installment" not in out.stdout


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("sqlite:///{tmp}/x.db?timeout=abc", "?timeout="),
        ("sqlite:///{tmp}/x.db?timeout=inf", "?timeout="),
        ("sqlite:///{tmp}/x%00.db", "NUL"),
        ("sqlite:///{tmp}/x.db?journal=off", "unknown option"),
        ("notadb://", "unsupported database URL"),
        ("mysql://u@127.0.0.1/x", "unsupported database URL"),
    ],
)
@pytest.mark.parametrize(
    "cmd",
    [("list",), ("status",), ("ingest", str(PAGES / "chih2019-2024-01.html"), "--url", URL1)],
    ids=lambda c: c[0],
)
def test_bad_db_urls_are_one_line_exit_5(
    tmp_path: Path, url: str, needle: str, cmd: tuple[str, ...]
) -> None:
    out = cw("--db", url.format(tmp=tmp_path), *cmd)
    assert out.returncode == 5 and one_line(out), out.stderr
    assert needle in out.stderr
    assert list(tmp_path.iterdir()) == []


def _store_with_pages(tmp_path: Path) -> Path:
    db = tmp_path / "x.db"
    for name, url in (("chih2019-2024-01", URL1), ("chih2019-2024-02", URL2)):
        out = cw("--db", f"sqlite:///{db}", "ingest", str(PAGES / f"{name}.html"), "--url", url)
        assert out.returncode == 0, out.stderr
    return db


def test_status_on_a_damaged_database_exits_5(tmp_path: Path) -> None:
    """Damage that status's own queries never read (blob overflow chains): quick_check finds it."""
    db = _store_with_pages(tmp_path)
    good = cw("--db", f"sqlite:///{db}", "status")
    assert good.returncode == 0 and "installments" in good.stdout, good.stderr
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode = DELETE")  # everything in the main file, no WAL
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    overflow = [
        r[0]
        for r in con.execute(
            "SELECT pageno FROM dbstat WHERE name = 'blobs' AND pagetype = 'overflow'"
        )
    ]
    con.close()
    assert overflow
    with db.open("r+b") as fh:  # each overflow page's next-page pointer now points nowhere
        for n in overflow:
            fh.seek((n - 1) * page_size)
            fh.write((0x7FFFFF00).to_bytes(4, "big"))
    out = cw("--db", f"sqlite:///{db}", "status")
    assert out.returncode == 5 and one_line(out), (out.returncode, out.stdout, out.stderr)
    assert "quick_check" in out.stderr and "installments" not in out.stdout


def test_daemon_refuses_an_old_schema(tmp_path: Path) -> None:
    """The daemon never migrates by itself: exit 5 (systemd does not restart-loop on it)."""
    from tests.support.upgradekit import load_sqlite

    db = tmp_path / "old.db"
    load_sqlite("0002", db)
    before = db.read_bytes()
    out = cw("--db", f"sqlite:///{db}", "daemon", "--start-url", "http://127.0.0.1:9/")
    assert out.returncode == 5 and "run `chihwatch db upgrade`" in out.stderr, out.stderr
    con = sqlite3.connect(db)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone() == ("0002",)
    assert con.execute("SELECT count(*) FROM fetches").fetchone()[0] == 39
    con.close()
    assert len(before) > 0


def test_reads_do_not_import_alembic_when_the_schema_is_current(tmp_path: Path) -> None:
    db = _store_with_pages(tmp_path)
    probe = (
        "import sys\n"
        "from chihwatch.cli import main\n"
        "try:\n"
        f"    main(['--db', 'sqlite:///{db}', 'list', '--json'])\n"
        "except SystemExit as e:\n"
        "    assert not e.code, e.code\n"
        "print('ALEMBIC', sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
        "heavy = ('parsers.pipeline', 'parsers.figures', 'rapidfuzz', 'storage.report_data',\n"
        "         'storage.ingest', 'storage.derive', 'storage.reparse', 'storage.batch_ingest',\n"
        "         'parsers.site', 'parsers.gazetteer', 'lxml')\n"
        "print('HEAVY', sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    # Neither Alembic nor the parse, the figure extractor, the comparison engine, the write path
    # or the site's rules (lxml): `list` only reads rows (issue 16's CLI start; they load on first
    # use).
    assert out.stdout.strip().splitlines()[-2:] == ["ALEMBIC []", "HEAVY []"]


def test_db_upgrade_refuses_beside_a_running_daemon(tmp_path: Path) -> None:
    """An (older) daemon writing during the upgrade would race it: stop it first, exit 8."""
    from scheduler.lock import acquire
    from tests.support.upgradekit import load_sqlite

    db = tmp_path / "old.db"
    load_sqlite("0002", db)
    url = f"sqlite:///{db}"
    lock = acquire(url)
    try:
        out = cw("--db", url, "db", "upgrade")
    finally:
        lock.release()
    assert out.returncode == 8 and one_line(out) and "stop it before" in out.stderr
    assert not list(tmp_path.glob("old.db.bak-*"))
    out = cw("--db", url, "db", "upgrade")
    assert out.returncode == 0 and "schema 0002 -> " in out.stdout


def test_first_crawl_creates_the_default_database_and_says_so(tmp_path: Path) -> None:
    """The default database (data dir) is created by the first crawl, as before, now said once."""
    from chihwatch.demo.mirror import MirrorServer
    from chihwatch.paths import default_db_url

    server = MirrorServer(ROOT / "fixtures" / "site").start()
    try:
        start = server.url.rstrip("/") + "/html/hotnews/yaowen/"
        out = cw("crawl", "--no-delay", "-q", "--start-url", start)
    finally:
        server.stop()
    assert out.returncode == 0, out.stderr
    lines = out.stderr.splitlines()
    assert lines.count(f"chihwatch: created new database {default_db_url()}") == 1
    listed = cw("list", "--json")
    assert listed.returncode == 0 and listed.stderr == "" and '"installment"' in listed.stdout
