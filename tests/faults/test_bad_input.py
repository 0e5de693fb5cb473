"""Bad input everywhere: the real `chihwatch` console script answers one line and its exit code.

Each case runs the installed console script in a subprocess (as a user would) and checks: the
documented non-zero exit code (chihwatch/errors.py), no traceback, one line on stderr — for
click's own usage errors, its usage hint plus exactly one `Error:` line — and no password in it.
The cases are independent processes, so a module fixture runs them all at once on a thread pool;
each test then checks its own result.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.crawlkit import record_figures

CHIHWATCH = shutil.which("chihwatch", path=str(Path(sys.executable).parent)) or "chihwatch"
PG_SECRET = "s3cret-pw-4711"
URL = "http://www.chinahightech.com/html/hotnews/yaowen/2024/0131/5698921.html"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]  # {work}, {port}, {secret} and {db} (a fresh SQLite file) are filled in
    code: int
    needle: str = ""
    env: tuple[tuple[str, str], ...] = ()
    then: tuple[str, ...] = ()  # a follow-up command on the same database that must succeed
    timeout: float = 30.0
    files: dict[str, bytes] = field(default_factory=dict, compare=False, hash=False)


def _cases() -> list[Case]:
    c: list[Case] = []
    usage = [
        ("unknown-option", ("list", "--bogus"), "no such option"),
        ("unknown-command", ("nosuchcommand",), "no such command"),
        ("missing-argument", ("show",), "missing argument"),
        ("not-an-integer", ("diff", "2024-1", "--from", "one"), "not a valid integer"),
        ("bad-choice", ("report", "--format", "pdf"), "pdf"),
        ("ingest-a-directory", ("ingest", "adir", "--url", URL), "is a directory"),
        (
            "bad-fetched-at",
            ("ingest", "plain.txt", "--url", URL, "--fetched-at", "yesterday"),
            "yesterday",
        ),
        ("ingest-without-url", ("ingest", "plain.txt"), "--url"),
        ("negative-port", ("serve-mirror", "--port", "-5"), "-5"),
        ("zero-list-pages", ("crawl", "--max-list-pages", "0"), "0"),
    ]
    c += [Case(f"usage:{i}", a, 2, n) for i, a, n in usage]
    databases = [
        ("pg-refused", "postgresql+psycopg://chihwatch:{secret}@127.0.0.1:{port}/x", "127.0.0.1"),
        ("sqlite-under-a-file", "sqlite:///{work}/plain.txt/sub/x.db", "cannot"),
        ("sqlite-in-proc", "sqlite:////proc/chihwatch-nope/x.db", "cannot"),
        ("not-a-database-file", "sqlite:///{work}/notadb.db", "not a database"),
        ("not-a-url", "just some words", "not a database URL"),
        ("unknown-dialect", "mysql+nosuchdriver://x/y", "unsupported"),
    ]
    for cmd in (("list",), ("report", "--format", "json")):
        c += [Case(f"database:{cmd[0]}:{i}", ("--db", u, *cmd), 5, n) for i, u, n in databases]
    c.append(
        Case(
            "database:db-upgrade:pg-refused",
            ("--db", "postgresql+psycopg://u:{secret}@127.0.0.1:{port}/x", "db", "upgrade"),
            5,
            "127.0.0.1",
        )
    )
    c.append(
        Case(
            "database:from-environment",
            ("list",),
            5,
            "cannot use database",
            env=(("CHIHWATCH_DB", "postgresql+psycopg://u:{secret}@127.0.0.1:{port}/x"),),
        )
    )
    ingest = [
        ("nonexistent.html", 3, "no such file"),
        ("img.png", 4, "binary"),
        ("empty.html", 4, "empty"),
        ("blank.html", 4, "empty"),
        ("plain.txt", 4, "not html"),
        ("list.html", 4, "no article"),
    ]
    # Nothing half-written: after the failed ingest the store still opens and lists nothing.
    c += [
        Case(
            f"ingest:{f}",
            ("--db", "{db}", "ingest", f, "--url", URL),
            code,
            n,
            then=("--db", "{db}", "list", "--json"),
        )
        for f, code, n in ingest
    ]
    for i, target in (
        ("under-a-file", "plain.txt/sub/report.html"),
        ("in-proc", "/proc/chihwatch-nope/r.html"),
        ("a-directory", "adir"),
    ):
        c.append(
            Case(
                f"report-path:{i}",
                ("--db", "{db}", "report", "--format", "html", "-o", target),
                3,
                "cannot write",
            )
        )
    configs = [
        ("bad-toml.toml", "not valid toml"),
        ("unknown-key.toml", "unknown key"),
        ("bad-format.toml", "pdf"),
        ("bad-url.toml", "file:///etc/passwd"),
        ("bad-type.toml", "start_urls"),
        ("binary.toml", "binary.toml"),
        ("missing.toml", "cannot read"),
    ]
    # A daemon that started anyway would run until the timeout: that is a failure too.
    c += [Case(f"config:daemon:{f}", ("daemon", "--config", f), 9, n) for f, n in configs]
    c += [Case(f"config:status:{f}", ("status", "--config", f), 9, n) for f, n in configs[:2]]
    values = [
        (("daemon", "--crawl-interval", "banana"), 9, "duration"),
        (("daemon", "--crawl-interval", "-5m"), 9, "crawl-interval"),
        (("daemon", "--start-url", "ftp://www.chinahightech.com/"), 9, "not an http(s) URL"),
        # A mistyped option value is usage (2), with an example of the accepted form (issue 15).
        (("report", "--since", "not-a-date"), 2, "e.g. 2024-02-05"),
        (("report", "--since", "2025-02-01", "--until", "2025-01-01"), 2, "before"),
        (("show", "2024-99"), 6, "2024-99"),
        (("diff", "1999-1"), 6, "1999-1"),
        (("parse", "nonexistent.html"), 3, "no such file"),
        (("parse", "img.png"), 4, "binary"),
        (("parse", "file:///etc/passwd"), 3, ""),
    ]
    c += [Case("value:" + " ".join(a), ("--db", "{db}", *a), code, n) for a, code, n in values]
    return c


CASES = _cases()


def _make_files(work: Path) -> None:
    (work / "img.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)) * 8)
    (work / "empty.html").write_bytes(b"")
    (work / "blank.html").write_bytes(b"  \n\t  \n")
    (work / "plain.txt").write_text("国家高新区密集部署，但这不是网页。\n", "utf-8")
    (work / "list.html").write_text(
        "<html><body><ul><li><a href='/a.html'>一</a></li><li><a href='/b.html'>二</a></li></ul></body></html>",
        "utf-8",
    )
    (work / "adir").mkdir()
    (work / "notadb.db").write_bytes(b"this is not a SQLite database, just bytes\n" * 100)
    (work / "bad-toml.toml").write_text("this is = = not toml\n", "utf-8")
    (work / "unknown-key.toml").write_text("nonsense_key = 3\n", "utf-8")
    (work / "bad-format.toml").write_text('[report]\nformats = ["pdf"]\n', "utf-8")
    (work / "bad-url.toml").write_text('start_urls = ["file:///etc/passwd"]\n', "utf-8")
    (work / "bad-type.toml").write_text("start_urls = 42\n", "utf-8")
    (work / "binary.toml").write_bytes(b"\xff\xfe\0\0garbage\x00\x01")


def _run(
    case: Case, n: int, work: Path, home: Path
) -> tuple[subprocess.CompletedProcess[str], ...]:
    fill = {
        "work": str(work),
        "port": str(_closed_port()),
        "secret": PG_SECRET,
        "db": f"sqlite:///{work / f'case{n}.db'}",
    }
    env = {**os.environ, "CHIHWATCH_HOME": str(home / f"case{n}")}
    env.pop("CHIHWATCH_DB", None)
    env.update({k: v.format(**fill) for k, v in case.env})
    out = []
    if "{db}" in case.args:
        # Read commands never create a database (issue 15): start the case's one first.
        subprocess.run(
            [CHIHWATCH, "--db", fill["db"], "db", "init"],
            env=env,
            capture_output=True,
            check=True,
            timeout=case.timeout,
        )
    for args in (case.args, case.then) if case.then else (case.args,):
        out.append(
            subprocess.run(
                [CHIHWATCH, *(a.format(**fill) for a in args)],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                timeout=case.timeout,
                stdin=subprocess.DEVNULL,
            )
        )
    return tuple(out)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """Every case's processes, run concurrently (each its own database and data dir)."""
    work = tmp_path_factory.mktemp("bad-input")
    home = tmp_path_factory.mktemp("bad-input-home")
    _make_files(work)
    with ThreadPoolExecutor(max_workers=max(2, (os.cpu_count() or 2) * 2)) as pool:
        futures = {case.id: pool.submit(_run, case, n, work, home) for n, case in enumerate(CASES)}
        done: dict[str, object] = {}
        for cid, fut in futures.items():
            try:
                done[cid] = fut.result()
            except subprocess.TimeoutExpired as exc:
                done[cid] = exc
    record_figures(bad_inputs=len(CASES))
    yield done


def assert_one_line(proc: subprocess.CompletedProcess[str], code: int, needle: str = "") -> str:
    """The documented exit code, no traceback, one message line (click usage: one Error: line)."""
    err = proc.stderr
    assert proc.returncode == code, f"exit {proc.returncode}, want {code}; stderr: {err!r}"
    assert "Traceback" not in err and "internal error" not in err, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    if code == 2:
        errors = [ln for ln in lines if ln.startswith("Error:")]
        assert len(errors) == 1 and all(
            ln.startswith(("Usage:", "Try ", "Error:")) for ln in lines
        ), err
        line = errors[0]
    else:
        assert len(lines) == 1, f"want one line on stderr, got {len(lines)}: {err!r}"
        line = lines[0]
        assert line.startswith("chihwatch: "), line
    assert needle.lower() in line.lower(), f"{needle!r} not in {line!r}"
    return line


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, results: dict[str, object]) -> None:
    got = results[case.id]
    if isinstance(got, subprocess.TimeoutExpired):
        pytest.fail(
            f"chihwatch {' '.join(case.args)} still running after {case.timeout:g}s (it should have refused)"
        )
    assert isinstance(got, tuple)
    line = assert_one_line(got[0], case.code, case.needle)
    assert PG_SECRET not in got[0].stdout + got[0].stderr, line
    if case.then:
        follow = got[1]
        assert follow.returncode == 0 and follow.stdout.strip() in ("[]", ""), (
            follow.stdout,
            follow.stderr,
        )


@pytest.fixture
def work(tmp_path: Path) -> Path:
    return tmp_path


def run(work: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHIHWATCH, *args],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_crawl_without_network_is_one_clear_line(work: Path) -> None:
    """An unreachable site: exit 7 and a clear last line; progress lines may come first, tracebacks never."""
    url = f"http://127.0.0.1:{_closed_port()}/yaowen/node_479.html"
    proc = run(
        work,
        "--db",
        f"sqlite:///{work / 'c.db'}",
        "crawl",
        "--no-delay",
        "--timeout",
        "60",
        "--start-url",
        url,
        timeout=90,
    )
    assert proc.returncode == 7, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines and lines[-1].startswith("chihwatch: ") and "127.0.0.1" in lines[-1], lines[-1:]
    assert "Traceback" not in proc.stderr, "a traceback reached the user:\n" + proc.stderr[:2000]
