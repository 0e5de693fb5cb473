"""Bad input everywhere: the real `chihwatch` console script answers one line and its exit code.

Each case runs the installed console script in a subprocess (as a user would) and checks: the
documented non-zero exit code (chihwatch/errors.py), no traceback, and one line on stderr — for
click's own usage errors, its usage hint plus exactly one `Error:` line.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from faultkit import record_figures

CHIHWATCH = shutil.which("chihwatch", path=str(Path(sys.executable).parent)) or "chihwatch"
PG_SECRET = "s3cret-pw-4711"

_cases = {"n": 0}


@pytest.fixture(scope="module", autouse=True)
def _count():
    yield
    record_figures(bad_inputs=_cases["n"])


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A directory with bad files to feed chihwatch."""
    (tmp_path / "img.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)) * 8)
    (tmp_path / "empty.html").write_bytes(b"")
    (tmp_path / "blank.html").write_bytes(b"  \n\t  \n")
    (tmp_path / "plain.txt").write_text("国家高新区密集部署，但这不是网页。\n", "utf-8")
    (tmp_path / "list.html").write_text(
        "<html><body><ul><li><a href='/a.html'>一</a></li><li><a href='/b.html'>二</a></li></ul></body></html>",
        "utf-8")
    (tmp_path / "adir").mkdir()
    (tmp_path / "notadb.db").write_bytes(b"this is not a SQLite database, just bytes\n" * 100)
    (tmp_path / "bad-toml.toml").write_text("this is = = not toml\n", "utf-8")
    (tmp_path / "unknown-key.toml").write_text("nonsense_key = 3\n", "utf-8")
    (tmp_path / "bad-format.toml").write_text('[report]\nformats = ["pdf"]\n', "utf-8")
    (tmp_path / "bad-url.toml").write_text('start_urls = ["file:///etc/passwd"]\n', "utf-8")
    (tmp_path / "bad-type.toml").write_text("start_urls = 42\n", "utf-8")
    (tmp_path / "binary.toml").write_bytes(b"\xff\xfe\0\0garbage\x00\x01")
    return tmp_path


def run(work: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    _cases["n"] += 1
    return subprocess.run([CHIHWATCH, *args], cwd=work, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def assert_one_line(proc: subprocess.CompletedProcess[str], code: int, needle: str = "") -> str:
    """The documented exit code, no traceback, one message line (click usage: one Error: line)."""
    err = proc.stderr
    assert proc.returncode == code, f"exit {proc.returncode}, want {code}; stderr: {err!r}"
    assert "Traceback" not in err and "internal error" not in err, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    if code == 2:
        errors = [ln for ln in lines if ln.startswith("Error:")]
        assert len(errors) == 1 and all(ln.startswith(("Usage:", "Try ", "Error:")) for ln in lines), err
        line = errors[0]
    else:
        assert len(lines) == 1, f"want one line on stderr, got {len(lines)}: {err!r}"
        line = lines[0]
        assert line.startswith("chihwatch: "), line
    assert needle.lower() in line.lower(), f"{needle!r} not in {line!r}"
    return line


USAGE = [
    (["list", "--bogus"], "no such option"),
    (["nosuchcommand"], "no such command"),
    (["show"], "missing argument"),
    (["diff", "2024-1", "--from", "one"], "not a valid integer"),
    (["report", "--format", "pdf"], "pdf"),
    (["ingest", "adir", "--url", "http://www.chinahightech.com/a.html"], "is a directory"),
    (["ingest", "plain.txt", "--url", "http://www.chinahightech.com/a.html", "--fetched-at", "yesterday"],
     "yesterday"),
    (["ingest", "plain.txt"], "--url"),
    (["serve-mirror", "--port", "-5"], "-5"),
    (["crawl", "--max-list-pages", "0"], "0"),
]


@pytest.mark.parametrize(("args", "needle"), USAGE, ids=[" ".join(a) for a, _ in USAGE])
def test_bad_cli_arguments(work: Path, args: list[str], needle: str) -> None:
    assert_one_line(run(work, *args), 2, needle)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


DATABASES = [
    ("pg-refused", "postgresql+psycopg://chihwatch:{secret}@127.0.0.1:{port}/x", "127.0.0.1"),
    ("sqlite-under-a-file", "sqlite:///{work}/plain.txt/sub/x.db", "cannot"),
    ("sqlite-in-proc", "sqlite:////proc/chihwatch-nope/x.db", "cannot"),
    ("not-a-database-file", "sqlite:///{work}/notadb.db", "not a database"),
    ("not-a-url", "just some words", "not a database URL"),
    ("unknown-dialect", "mysql+nosuchdriver://x/y", "unsupported"),
]


@pytest.mark.parametrize(("url", "needle"), [(u, n) for _, u, n in DATABASES], ids=[i for i, _, _ in DATABASES])
@pytest.mark.parametrize("command", [["list"], ["report", "--format", "json"]], ids=["list", "report"])
def test_unreachable_database(work: Path, url: str, needle: str, command: list[str]) -> None:
    db = url.format(secret=PG_SECRET, port=_closed_port(), work=work)
    line = assert_one_line(run(work, "--db", db, *command), 5, needle)
    assert PG_SECRET not in line  # the password never reaches a message


def test_unreachable_database_from_the_environment(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHIHWATCH_DB", f"postgresql+psycopg://u:{PG_SECRET}@127.0.0.1:{_closed_port()}/x")
    line = assert_one_line(run(work, "list"), 5, "cannot use database")
    assert PG_SECRET not in line


INGEST = [
    ("nonexistent.html", 3, "no such file"),
    ("img.png", 4, "binary"),
    ("empty.html", 4, "empty"),
    ("blank.html", 4, "empty"),
    ("plain.txt", 4, "not html"),
    ("list.html", 4, "no article"),
]


@pytest.mark.parametrize(("name", "code", "needle"), INGEST, ids=[n for n, _, _ in INGEST])
def test_bad_ingest_files(work: Path, name: str, code: int, needle: str) -> None:
    db = f"sqlite:///{work / 'ingest.db'}"
    assert_one_line(run(work, "--db", db, "ingest", name, "--url", "http://www.chinahightech.com/a.html"),
                    code, needle)
    # Nothing half-written: the store still opens and lists (an unparsable page adds no installment).
    listed = run(work, "--db", db, "list", "--json")
    if listed.returncode == 0:
        assert listed.stdout.strip() in ("[]", "")


@pytest.mark.parametrize("target", ["plain.txt/sub/report.html", "/proc/chihwatch-nope/report.html", "adir"],
                         ids=["under-a-file", "in-proc", "a-directory"])
def test_unwritable_report_path(work: Path, target: str) -> None:
    db = f"sqlite:///{work / 'r.db'}"
    assert_one_line(run(work, "--db", db, "report", "--format", "html", "-o", target), 3, "cannot write")


CONFIGS = [
    ("bad-toml.toml", "not valid toml"),
    ("unknown-key.toml", "unknown key"),
    ("bad-format.toml", "pdf"),
    ("bad-url.toml", "file:///etc/passwd"),
    ("bad-type.toml", "start_urls"),
    ("binary.toml", "binary.toml"),
    ("missing.toml", "cannot read"),
]


@pytest.mark.parametrize(("name", "needle"), CONFIGS, ids=[n for n, _ in CONFIGS])
def test_bad_config_files(work: Path, name: str, needle: str) -> None:
    # A daemon that started anyway would run until the timeout: that is a failure too.
    assert_one_line(run(work, "daemon", "--config", name, timeout=30), 9, needle)


@pytest.mark.parametrize(("name", "needle"), CONFIGS[:2], ids=[n for n, _ in CONFIGS[:2]])
def test_bad_config_files_for_status(work: Path, name: str, needle: str) -> None:
    assert_one_line(run(work, "status", "--config", name, timeout=30), 9, needle)


def test_db_upgrade_on_an_unreachable_database(work: Path) -> None:
    db = f"postgresql+psycopg://u:{PG_SECRET}@127.0.0.1:{_closed_port()}/x"
    line = assert_one_line(run(work, "--db", db, "db", "upgrade"), 5, "127.0.0.1")
    assert PG_SECRET not in line


BAD_VALUES = [
    (["daemon", "--crawl-interval", "banana"], 9, "duration"),
    (["daemon", "--crawl-interval", "-5m"], 9, "crawl-interval"),
    (["daemon", "--start-url", "ftp://www.chinahightech.com/"], 9, "not an http(s) URL"),
    (["report", "--since", "not-a-date"], 9, "not-a-date"),
    (["report", "--since", "2025-02-01", "--until", "2025-01-01"], 9, "before"),
    (["show", "2024-99"], 6, "2024-99"),
    (["diff", "1999-1"], 6, "1999-1"),
    (["parse", "nonexistent.html"], 3, "no such file"),
    (["parse", "img.png"], 4, "binary"),
    (["parse", "file:///etc/passwd"], 3, ""),
]


@pytest.mark.parametrize(("args", "code", "needle"), BAD_VALUES, ids=[" ".join(a) for a, _, _ in BAD_VALUES])
def test_bad_option_values(work: Path, args: list[str], code: int, needle: str) -> None:
    assert_one_line(run(work, "--db", f"sqlite:///{work / 'v.db'}", *args, timeout=30), code, needle)


def test_crawl_without_network_is_one_clear_line(work: Path) -> None:
    """An unreachable site: exit 7 and a clear last line; progress lines may come first, tracebacks never."""
    url = f"http://127.0.0.1:{_closed_port()}/yaowen/node_479.html"
    proc = run(work, "--db", f"sqlite:///{work / 'c.db'}", "crawl", "--no-delay", "--timeout", "60",
               "--start-url", url, timeout=90)
    assert proc.returncode == 7, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines and lines[-1].startswith("chihwatch: ") and "127.0.0.1" in lines[-1], lines[-1:]
    assert "Traceback" not in proc.stderr, "a traceback reached the user:\n" + proc.stderr[:2000]
